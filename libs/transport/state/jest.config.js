module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-state', rootDir: __dirname };
