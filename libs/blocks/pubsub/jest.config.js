// @marcbachmann/cel-js (routing rules) ships ES modules only: SWC turns it into CommonJS for Jest.
const preset = require('../../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'block-pubsub',
  rootDir: __dirname,
  transform: {
    ...preset.transform,
    '/node_modules/@marcbachmann/cel-js/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
};
