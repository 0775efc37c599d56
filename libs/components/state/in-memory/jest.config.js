module.exports = { ...require('../../../../jest.preset.js'), displayName: 'state-in-memory', rootDir: __dirname };
