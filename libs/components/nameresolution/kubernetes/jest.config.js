module.exports = { ...require('../../../../jest.preset.js'), displayName: 'nameresolution-kubernetes', rootDir: __dirname };
