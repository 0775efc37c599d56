module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-core', rootDir: __dirname };
