module.exports = { ...require('../../../../jest.preset.js'), displayName: 'configuration-postgresql', rootDir: __dirname };
