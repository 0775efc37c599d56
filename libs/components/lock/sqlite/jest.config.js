module.exports = { ...require('../../../../jest.preset.js'), displayName: 'lock-sqlite', rootDir: __dirname };
