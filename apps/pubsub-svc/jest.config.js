module.exports = { ...require('../../jest.preset.js'), displayName: 'pubsub-svc', rootDir: __dirname };
