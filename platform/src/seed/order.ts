import type { PluginManifest } from '@channelflow/sdk';

/** Plug-ins in an order where each one's seedAfter dependencies come first. */
export function seedOrder(plugins: PluginManifest[]): PluginManifest[] {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const ordered: PluginManifest[] = [];
  const visit = (p: PluginManifest, trail: string[]) => {
    if (done.has(p.name)) return;
    if (visiting.has(p.name)) throw new Error(`seed dependency cycle: ${[...trail, p.name].join(' → ')}`);
    visiting.add(p.name);
    for (const dep of p.seedAfter) {
      const target = byName.get(dep);
      if (!target) throw new Error(`plug-in "${p.name}" seeds after "${dep}", which is not installed`);
      visit(target, [...trail, p.name]);
    }
    visiting.delete(p.name);
    done.add(p.name);
    ordered.push(p);
  };
  for (const p of [...plugins].sort((a, b) => a.name.localeCompare(b.name))) visit(p, []);
  return ordered;
}
