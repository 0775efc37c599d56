module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-metadata', rootDir: __dirname };
