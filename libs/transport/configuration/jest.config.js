module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-configuration', rootDir: __dirname };
