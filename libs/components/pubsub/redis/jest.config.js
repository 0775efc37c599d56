module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-redis', rootDir: __dirname };
