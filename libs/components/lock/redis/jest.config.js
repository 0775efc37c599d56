module.exports = { ...require('../../../../jest.preset.js'), displayName: 'lock-redis', rootDir: __dirname };
