import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts', build: 'src/build.ts' },
  format: ['cjs', 'esm'],
  dts: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CJS build (testing locates the platform app with it).
  shims: true,
  // Strapi, zod and pg belong to the host application; bundling them would duplicate state.
  external: [/^@strapi\//, 'zod', 'pg', 'graphql'],
});
