module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-mqtt3', rootDir: __dirname };
