module.exports = { ...require('../../../../jest.preset.js'), displayName: 'state-sqlite', rootDir: __dirname };
