module.exports = { ...require('../../jest.preset.js'), displayName: 'bindings-svc', rootDir: __dirname };
