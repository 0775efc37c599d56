// Root Jest config: every project's jest.config.js, so `npm test` runs all suites in one run.
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');

function find(dir, out = []) {
  if (existsSync(join(dir, 'jest.config.js'))) out.push(join(__dirname, dir));
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !['node_modules', 'src', 'dist', 'test'].includes(e.name)) find(join(dir, e.name), out);
  }
  return out;
}

// testTimeout is a global option (Jest ignores it inside projects): the end-to-end suites start
// real processes, which on 2 busy cores can take longer than Jest's 5 s default.
module.exports = { projects: [...find('libs'), ...find('apps')].sort(), testTimeout: 60_000 };
