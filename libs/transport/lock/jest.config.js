module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-lock', rootDir: __dirname };
