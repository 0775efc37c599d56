module.exports = { ...require('../../../../jest.preset.js'), displayName: 'secretstore-env', rootDir: __dirname };
