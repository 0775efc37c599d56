module.exports = { ...require('../../jest.preset.js'), displayName: 'lock-svc', rootDir: __dirname };
