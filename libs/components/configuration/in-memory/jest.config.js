module.exports = { ...require('../../../../jest.preset.js'), displayName: 'configuration-in-memory', rootDir: __dirname };
