module.exports = { ...require('../../../jest.preset.js'), displayName: 'block-pubsub', rootDir: __dirname };
