module.exports = { ...require('../../jest.preset.js'), displayName: 'runtime-core', rootDir: __dirname };
