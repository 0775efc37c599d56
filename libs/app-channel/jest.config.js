module.exports = { ...require('../../jest.preset.js'), displayName: 'app-channel', rootDir: __dirname };
