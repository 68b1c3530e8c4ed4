import { defineConfig } from 'vitest/config';

// chDB lives once per process and dies in worker threads: every project runs in forked processes.
const roots = ['core', 'warehouse', 'ingest', 'models', 'reports', 'dashboard', 'bench', 'infra', 'scripts'];
const under = (suffix: string) => roots.map((r) => `${r}/**/*${suffix}`);
const exclude = ['**/node_modules/**', '**/build/**', '**/.svelte-kit/**'];

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['./scripts/test-global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: under('.test.ts'),
          exclude: [...exclude, '**/*.integration.test.ts', '**/*.e2e.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: under('.integration.test.ts'),
          exclude,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: under('.e2e.test.ts'),
          exclude,
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
