module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-bindings', rootDir: __dirname };
