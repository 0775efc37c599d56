module.exports = { ...require('../../../../jest.preset.js'), displayName: 'components-common-mqtt', rootDir: __dirname };
