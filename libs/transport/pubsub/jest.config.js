module.exports = { ...require('../../../jest.preset.js'), displayName: 'transport-pubsub', rootDir: __dirname };
