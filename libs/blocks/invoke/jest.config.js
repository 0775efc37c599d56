module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-invoke', rootDir: __dirname };
