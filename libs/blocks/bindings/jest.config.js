module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-bindings', rootDir: __dirname };
