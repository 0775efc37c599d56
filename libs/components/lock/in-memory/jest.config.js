module.exports = { ...require('../../../../jest.preset.js'), displayName: 'lock-in-memory', rootDir: __dirname };
