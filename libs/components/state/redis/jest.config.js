module.exports = { ...require('../../../../jest.preset.js'), displayName: 'state-redis', rootDir: __dirname };
