module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-state', rootDir: __dirname };
