module.exports = { ...require('../../../../jest.preset.js'), displayName: 'common-postgres', rootDir: __dirname };
