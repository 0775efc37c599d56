module.exports = { ...require('../../../../jest.preset.js'), displayName: 'state-postgresql', rootDir: __dirname };
