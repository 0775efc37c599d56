module.exports = { ...require('../../../../jest.preset.js'), displayName: 'components-common-kafka', rootDir: __dirname };
