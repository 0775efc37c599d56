module.exports = { ...require('../../jest.preset.js'), displayName: 'configuration-svc', rootDir: __dirname };
