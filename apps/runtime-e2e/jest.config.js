// Black-box tests against the built apps (dist/apps/*): `npm test` builds them first.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'runtime-e2e',
  rootDir: __dirname,
  testTimeout: 60_000,
};
