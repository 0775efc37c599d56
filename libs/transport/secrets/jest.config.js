module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-secrets', rootDir: __dirname };
