module.exports = { ...require('../../../../jest.preset.js'), displayName: 'configuration-redis', rootDir: __dirname };
