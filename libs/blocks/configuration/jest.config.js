module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-configuration', rootDir: __dirname };
