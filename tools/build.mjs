// Builds every app into dist/apps/<name>/main.js with esbuild: the libs are bundled through the
// tsconfig path aliases, npm packages stay external (native ones like better-sqlite3 included).
// Runs after `npm ci` (postinstall) so `npx tessera` works straight away; takes about a second.
//   node tools/build.mjs               build all apps
//   node tools/build.mjs <app> [...]   build the named apps
//   node tools/build.mjs --if-missing  build only when an app's bundle is absent
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const ifMissing = args.includes('--if-missing');
const named = args.filter((a) => !a.startsWith('--'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const apps = readdirSync(join(root, 'apps'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'apps', d.name, 'src/main.ts')))
  .map((d) => d.name)
  .filter((name) => named.length === 0 || named.includes(name));

const todo = ifMissing ? apps.filter((a) => !existsSync(join(root, 'dist/apps', a, 'main.js'))) : apps;
const started = Date.now();
await Promise.all(
  todo.map((name) =>
    build({
      entryPoints: [join(root, 'apps', name, 'src/main.ts')],
      outfile: join(root, 'dist/apps', name, 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      sourcemap: true,
      tsconfig: join(root, 'tsconfig.base.json'),
      define: { TESSERA_BUILD_VERSION: JSON.stringify(version) },
      logLevel: 'warning',
    }),
  ),
);
if (todo.length > 0) console.log(`built ${todo.join(', ')} in ${Date.now() - started} ms`);
