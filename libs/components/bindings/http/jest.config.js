module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-http', rootDir: __dirname };
