module.exports = { ...require('../../jest.preset.js'), displayName: 'cli-lib', rootDir: __dirname };
