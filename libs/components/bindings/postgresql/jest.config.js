module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-postgresql', rootDir: __dirname };
