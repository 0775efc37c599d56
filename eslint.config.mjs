// Lint: TypeScript rules plus @nx/enforce-module-boundaries with real constraints (STYLE.md 1):
// which kind of project may import which, and which drivers/frameworks each kind may touch.
import nx from '@nx/eslint-plugin';

const drivers = ['ioredis', 'pg', 'better-sqlite3', 'kafkajs', 'amqplib', 'mqtt', 'nats', '@nats-io/*'];
const nest = ['@nestjs/*'];

/**
 * Which kind of project may import which. In spec files (`forSpecs`), blocks may also use real
 * components as fixtures (e.g. pubsub.in-memory under the pub/sub block's tests); production code
 * of a block never imports a concrete component.
 */
function constraints(forSpecs) {
  const blockDeps = ['type:util', 'type:contracts', 'type:spi', 'type:core', 'type:testing', ...(forSpecs ? ['type:component'] : [])];
  return [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: [...nest, ...drivers, 'fastify', '@grpc/*'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: [...nest, ...drivers, 'fastify'] },
            { sourceTag: 'type:spi', onlyDependOnLibsWithTags: ['type:util', 'type:spi'], bannedExternalImports: [...nest, ...drivers, 'fastify'] },
            { sourceTag: 'type:component-common', onlyDependOnLibsWithTags: ['type:util', 'type:spi'], bannedExternalImports: [...nest, 'fastify', '@grpc/*'] },
            { sourceTag: 'type:component', onlyDependOnLibsWithTags: ['type:util', 'type:spi', 'type:testing', 'type:component-common'], bannedExternalImports: [...nest, 'fastify', '@grpc/*'] },
            { sourceTag: 'type:registry', onlyDependOnLibsWithTags: ['type:util', 'type:spi', 'type:component'], bannedExternalImports: [...nest, ...drivers] },
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:spi'], bannedExternalImports: [...nest, ...drivers, 'fastify', '@grpc/*'] },
            { sourceTag: 'type:channel', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:spi', 'type:core'], bannedExternalImports: [...nest, ...drivers, 'fastify'] },
            { sourceTag: 'type:block', onlyDependOnLibsWithTags: blockDeps, bannedExternalImports: [...nest, ...drivers, 'fastify', '@grpc/*'] },
            { sourceTag: 'type:edge', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:testing'], bannedExternalImports: [...nest, ...drivers] },
            { sourceTag: 'type:transport', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:testing', 'type:transport'], bannedExternalImports: [...nest, ...drivers, 'fastify'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:spi', 'type:testing'], bannedExternalImports: [...nest] },
            { sourceTag: 'type:nest', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:spi', 'type:core', 'type:channel', 'type:block', 'type:edge', 'type:transport', 'type:registry'], bannedExternalImports: [...drivers] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:nest', 'type:core', 'type:util', 'type:contracts', 'type:testing', 'type:spi', 'type:registry', 'type:block'], bannedExternalImports: [...drivers.filter((d) => d !== 'ioredis' && d !== 'pg')] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
  ];
}

function boundaries(forSpecs) {
  return ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints(forSpecs) }];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', '.nx/**', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(false),
    },
  },
  { files: ['**/*.spec.ts'], rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
];
