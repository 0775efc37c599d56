module.exports = { ...require('../../jest.preset.js'), displayName: 'state-svc', rootDir: __dirname };
