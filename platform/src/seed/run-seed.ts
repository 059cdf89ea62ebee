import type { Core } from '@strapi/strapi';
import { platformRegistry } from '@channelflow/sdk';
import { seedCore } from './core.seed';
import { seedOrder } from './order';
import { seededRandom, seedFor } from './random';

const STORE_KEY = 'demo-seed';

export interface SeedOutcome {
  ran: boolean;
  plugins: string[];
}

/**
 * Loads the deterministic demo data on the first start only (CHANNELFLOW_SEED=demo, the
 * default for npm start). A marker in Strapi's store makes every later start reuse the data.
 */
export async function runSeedOnce(strapi: Core.Strapi, demoPassword: string): Promise<SeedOutcome> {
  if ((process.env.CHANNELFLOW_SEED ?? 'demo') === 'none') return { ran: false, plugins: [] };
  const store = strapi.store({ type: 'core', name: 'channelflow' });
  if (await store.get({ key: STORE_KEY })) return { ran: false, plugins: [] };

  const log = {
    info: (m: string) => strapi.log.info(`[seed] ${m}`),
    warn: (m: string) => strapi.log.warn(`[seed] ${m}`),
    error: (m: string) => strapi.log.error(`[seed] ${m}`),
  };
  const plugins = seedOrder(platformRegistry(strapi).listPlugins()).filter((p) => p.seed);
  // One transaction: a crash half-way leaves no half-seeded database that a restart would skip.
  await strapi.db.transaction(async () => {
    await seedCore({ strapi, random: seededRandom(seedFor('core')), demoPassword, log });
    for (const plugin of plugins) {
      log.info(`seeding ${plugin.name}`);
      await plugin.seed!({ strapi, random: seededRandom(seedFor(plugin.name)), demoPassword, log });
    }
    await store.set({ key: STORE_KEY, value: { at: new Date().toISOString(), plugins: plugins.map((p) => p.name) } });
  });
  return { ran: true, plugins: plugins.map((p) => p.name) };
}
