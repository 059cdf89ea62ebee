import { describe, expect, it } from 'vitest';
import { PlatformRegistry, type PluginManifest } from '../src/registry';

const manifest = (name: string, requires: string[] = [], boot?: (name: string) => void): PluginManifest => ({
  name,
  requires,
  jobs: [],
  templates: [],
  permissions: {},
  seedAfter: requires,
  bootstrap: boot ? () => boot(name) : undefined,
});

function registry(...manifests: PluginManifest[]): PlatformRegistry {
  const r = new PlatformRegistry();
  for (const m of manifests) r.addPlugin(m);
  return r;
}

describe('PlatformRegistry.bootOrder', () => {
  it.each([
    ['no requirements: registration order', [['a'], ['b'], ['c']], ['a', 'b', 'c']],
    ['a plug-in registered before what it requires boots after it', [['apps', 'dealers'], ['dealers'], ['zoo']], ['dealers', 'apps', 'zoo']],
    ['a chain', [['rebates', 'orders'], ['orders', 'dealers'], ['dealers']], ['dealers', 'orders', 'rebates']],
    ['a diamond boots the shared one once', [['top', 'left', 'right'], ['left', 'base'], ['right', 'base'], ['base']], ['base', 'left', 'right', 'top']],
  ])('%s', (_, plugins, expected) => {
    const r = registry(...plugins.map(([name, ...requires]) => manifest(name!, requires)));
    expect(r.bootOrder().map((m) => m.name)).toEqual(expected);
  });

  it('names a cycle', () => {
    const r = registry(manifest('gifts', ['orders']), manifest('orders', ['rebates']), manifest('rebates', ['gifts']));
    expect(() => r.bootOrder()).toThrow('plug-ins require each other in a cycle: gifts → orders → rebates → gifts');
    expect(() => registry(manifest('selfish', ['selfish'])).bootOrder()).toThrow('cycle: selfish → selfish');
  });

  it('names a missing requirement and who needs it', () => {
    const r = registry(manifest('gifts', ['dealers', 'warehouse']), manifest('dealers'));
    expect(() => r.bootOrder()).toThrow('plug-in "gifts" requires plug-in "warehouse", which is not a Channelflow plug-in');
  });

  it('bootstrapPlugins runs each bootstrap once, in boot order, however often it is called', async () => {
    const booted: string[] = [];
    const r = registry(manifest('apps', ['dealers'], (n) => booted.push(n)), manifest('dealers', [], (n) => booted.push(n)), manifest('quiet'));
    await Promise.all([r.bootstrapPlugins({} as any), r.bootstrapPlugins({} as any)]);
    await r.bootstrapPlugins({} as any);
    expect(booted).toEqual(['dealers', 'apps']);
  });
});
