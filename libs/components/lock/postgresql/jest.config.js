module.exports = { ...require('../../../../jest.preset.js'), displayName: 'lock-postgresql', rootDir: __dirname };
