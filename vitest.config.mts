import { defineConfig } from 'vitest/config';

const unit = ['platform/tests/**/*.spec.ts', 'platform/sdk/tests/**/*.spec.ts', 'plugins/*/tests/**/*.spec.ts'];
const integration = ['platform/tests/**/*.e2e-spec.ts', 'plugins/*/tests/**/*.e2e-spec.ts'];

export default defineConfig({
  test: {
    // Each e2e file boots its own Strapi; separate processes keep their globals apart.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { test: { name: 'unit', include: unit, exclude: ['**/node_modules/**', ...integration] } },
      {
        test: {
          name: 'integration',
          include: integration,
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
          pool: 'forks',
        },
      },
    ],
  },
});
