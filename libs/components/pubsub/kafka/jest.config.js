module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-kafka', rootDir: __dirname };
