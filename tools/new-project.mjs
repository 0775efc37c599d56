// Scaffolds an Nx project: node tools/new-project.mjs <dir> <name> <tag> [app]
// Writes project.json (build/typecheck/lint/test), tsconfig.json and jest.config.js.
// Apps are bundled by tools/build.mjs (esbuild); libs are typechecked only.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, name, tag, kind] = process.argv.slice(2);
if (!dir || !name || !tag) {
  console.error('usage: node tools/new-project.mjs <dir> <name> <type:tag> [app]');
  process.exit(2);
}
const up = relative(dir, '.') || '.';
mkdirSync(join(dir, 'src'), { recursive: true });
const isApp = kind === 'app';
const project = {
  name,
  $schema: `${up}/node_modules/nx/schemas/project-schema.json`,
  sourceRoot: `${dir}/src`,
  projectType: isApp ? 'application' : 'library',
  tags: [tag],
  targets: {
    build: { command: isApp ? `node tools/build.mjs ${name}` : `tsc -p ${dir}/tsconfig.json --noEmit` },
    typecheck: { command: `tsc -p ${dir}/tsconfig.json --noEmit` },
    lint: { command: `eslint ${dir}` },
    test: { command: `jest -c ${dir}/jest.config.js --passWithNoTests` },
  },
};
const write = (f, s) => {
  if (!existsSync(join(dir, f))) writeFileSync(join(dir, f), s);
};
write('project.json', JSON.stringify(project, null, 2) + '\n');
write('tsconfig.json', JSON.stringify({ extends: `${up}/tsconfig.base.json`, include: ['src/**/*.ts', 'test/**/*.ts'] }, null, 2) + '\n');
write('jest.config.js', `module.exports = { ...require('${up}/jest.preset.js'), displayName: '${name}', rootDir: __dirname };\n`);
console.log(`scaffolded ${name} in ${dir}`);
