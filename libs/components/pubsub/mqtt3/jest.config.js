module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-mqtt3', rootDir: __dirname };
