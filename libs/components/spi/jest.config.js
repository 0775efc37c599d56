module.exports = { ...require('../../../jest.preset.js'), displayName: 'spi', rootDir: __dirname };
