import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['cjs'],
  dts: false,
  clean: true,
  target: 'node20',
  // The host app provides these; bundling them would duplicate Strapi and the SDK's registry.
  external: [/^@strapi\//, '@channelflow/sdk', 'zod'],
});
