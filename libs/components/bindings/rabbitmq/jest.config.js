module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-rabbitmq', rootDir: __dirname };
