module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-redis', rootDir: __dirname };
