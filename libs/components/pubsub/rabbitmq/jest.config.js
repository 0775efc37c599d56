module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-rabbitmq', rootDir: __dirname };
