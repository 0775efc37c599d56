module.exports = { ...require('../../../jest.preset.js'), displayName: 'edge-grpc', rootDir: __dirname };
