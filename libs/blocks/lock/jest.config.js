module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-lock', rootDir: __dirname };
