module.exports = { ...require('../../../../jest.preset.js'), displayName: 'secretstore-kubernetes', rootDir: __dirname };
