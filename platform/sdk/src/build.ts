/**
 * tsup options for a Channelflow plug-in: `export default pluginBuildConfig()` in its
 * tsup.config.ts. The host app provides Strapi, the SDK and zod; bundling them would
 * duplicate Strapi and the SDK's registry.
 */
export function pluginBuildConfig(overrides: Record<string, unknown> = {}) {
  return {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: false,
    clean: true,
    target: 'node20',
    external: [/^@strapi\//, '@channelflow/sdk', 'zod'],
    ...overrides,
  };
}
