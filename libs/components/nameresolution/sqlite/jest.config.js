module.exports = { ...require('../../../../jest.preset.js'), displayName: 'nameresolution-sqlite', rootDir: __dirname };
