module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-kafka', rootDir: __dirname };
