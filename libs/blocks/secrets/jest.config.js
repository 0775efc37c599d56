module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-secrets', rootDir: __dirname };
