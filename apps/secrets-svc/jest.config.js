module.exports = { ...require('../../jest.preset.js'), displayName: 'secrets-svc', rootDir: __dirname };
