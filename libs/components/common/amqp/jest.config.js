module.exports = { ...require('../../../../jest.preset.js'), displayName: 'components-common-amqp', rootDir: __dirname };
