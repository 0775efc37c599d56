// `npm test`: the whole suite, as CI runs it. Checks that generated code matches its .proto
// sources, typechecks and lints the workspace (module boundaries included: the Nx project graph
// is computed first, without it the boundary rule silently skips), builds the apps (end-to-end
// tests start the real bundles),
// then runs every Jest project in one run and prints one closing line
// "tests: N passed, N failed, N skipped". Suites whose backend is unreachable are skipped loudly
// and listed; they never count as passed. Extra arguments go to Jest (e.g. a path filter).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (n) => join(root, 'node_modules/.bin', n);
const jestArgs = process.argv.slice(2);
const quick = jestArgs.length > 0;

function step(title, cmd, args) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${title} failed`);
    console.log('tests: 0 passed, 1 failed');
    process.exit(r.status ?? 1);
  }
}

if (!quick) {
  step('generated code matches libs/contracts/proto', process.execPath, ['tools/proto-gen.mjs', '--check']);
  step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  process.env.NX_DAEMON = 'false';
  step('project graph (for lint)', bin('nx'), ['show', 'projects', '--json=false']);
  step('lint', bin('eslint'), ['.', '--max-warnings=0']);
}
step('build apps', process.execPath, ['tools/build.mjs']);

const out = join(mkdtempSync(join(tmpdir(), 'tessera-jest-')), 'results.json');
console.log('\n== jest');
const r = spawnSync(bin('jest'), ['--ci', '--maxWorkers=2', '--json', `--outputFile=${out}`, ...jestArgs], {
  cwd: root,
  stdio: 'inherit',
});
if (!existsSync(out)) {
  console.log('tests: 0 passed, 1 failed');
  process.exit(r.status ?? 1);
}
const res = JSON.parse(readFileSync(out, 'utf8'));
rmSync(out, { force: true });
const skippedSuites = [];
for (const suite of res.testResults) {
  for (const t of suite.assertionResults) {
    if (t.status === 'pending' || t.status === 'skipped') {
      const title = [...t.ancestorTitles, t.title].join(' > ');
      if (/SKIPPED/i.test(title)) skippedSuites.push(title.split(' > ')[0]);
    }
  }
}
const uniqueSkips = [...new Set(skippedSuites)];
if (uniqueSkips.length > 0) {
  console.log('\n!! SKIPPED suites (backend unreachable or not configured) — these did NOT pass:');
  for (const s of uniqueSkips) console.log(`!!   ${s}`);
}
const failed = res.numFailedTests + res.numRuntimeErrorTestSuites;
const skipped = res.numPendingTests + (res.numTodoTests ?? 0);
console.log(`\ntests: ${res.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || !res.success ? 1 : 0);
