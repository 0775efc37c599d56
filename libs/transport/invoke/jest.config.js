module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-invoke', rootDir: __dirname };
