module.exports = { ...require('../../../../jest.preset.js'), displayName: 'secretstore-file', rootDir: __dirname };
