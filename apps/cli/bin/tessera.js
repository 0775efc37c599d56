#!/usr/bin/env node
// The `tessera` command. Runs the bundled CLI, building it first if this checkout has not been
// built yet (npm ci builds it in postinstall).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..', '..', '..');
const bundle = join(root, 'dist', 'apps', 'cli', 'main.js');
if (!existsSync(bundle)) {
  execFileSync(process.execPath, [join(root, 'tools', 'build.mjs')], { stdio: 'inherit', cwd: root });
}
require(bundle);
