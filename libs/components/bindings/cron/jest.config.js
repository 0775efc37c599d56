module.exports = { ...require('../../../../jest.preset.js'), displayName: 'bindings-cron', rootDir: __dirname };
