module.exports = { ...require('../../../../jest.preset.js'), displayName: 'pubsub-sqlite', rootDir: __dirname };
