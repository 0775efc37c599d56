module.exports = { ...require('../../../jest.preset.js'), displayName: 'edge-http', rootDir: __dirname };
