// Generates libs/contracts/src/generated from libs/contracts/proto with buf + ts-proto (both npm
// packages, no system protoc). `--check` regenerates into a temp folder and fails on any drift
// from the committed files, so generated code can never silently diverge from its .proto sources.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const contracts = join(root, 'libs/contracts');
const committed = join(contracts, 'src/generated');
const bin = join(root, 'node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
const check = process.argv.includes('--check');

function generate(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const work = mkdtempSync(join(tmpdir(), 'tessera-proto-'));
  cpSync(join(contracts, 'proto'), join(work, 'proto'), { recursive: true });
  cpSync(join(contracts, 'buf.yaml'), join(work, 'buf.yaml'));
  cpSync(join(contracts, 'buf.gen.yaml'), join(work, 'buf.gen.yaml'));
  execFileSync(join(bin, 'buf'), ['generate'], { cwd: work, env, stdio: 'inherit' });
  cpSync(join(work, 'src/generated'), outDir, { recursive: true });
  rmSync(work, { recursive: true, force: true });
}

function list(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? list(p, base) : [relative(base, p)];
  }).sort();
}

if (!check) {
  generate(committed);
  console.log(`generated ${list(committed).length} files into ${relative(root, committed)}`);
} else {
  const fresh = mkdtempSync(join(tmpdir(), 'tessera-proto-check-'));
  const out = join(fresh, 'generated');
  generate(out);
  const a = list(committed);
  const b = list(out);
  const drift = [...new Set([...a, ...b])].filter(
    (f) => !a.includes(f) || !b.includes(f) || readFileSync(join(committed, f), 'utf8') !== readFileSync(join(out, f), 'utf8'),
  );
  rmSync(fresh, { recursive: true, force: true });
  if (drift.length > 0) {
    console.error(`generated code drifted from libs/contracts/proto: ${drift.join(', ')}\nrun: npm run proto:gen`);
    process.exit(1);
  }
  console.log(`proto check: ${a.length} generated files match their .proto sources`);
}
