module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-in-memory', rootDir: __dirname };
