module.exports = { ...require('../../../../jest.preset.js'), displayName: 'components-common-redis', rootDir: __dirname };
