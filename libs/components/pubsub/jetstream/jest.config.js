module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-jetstream', rootDir: __dirname };
