import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { platformRegistry } from '@channelflow/sdk';
import { seedCore } from './core.seed';
import { seedOrder } from './order';
import { seededRandom, seedFor } from './random';

const STORE_KEY = 'demo-seed';

export interface SeedOutcome {
  ran: boolean;
  plugins: string[];
  /** Set only on the start that seeded: the password every demo login got. */
  demoPassword: string | null;
}

/**
 * `demo` or `none`. Unset means demo in development, none in production, so a deployment
 * never grows demo logins by accident; `npm start` asks for the demo explicitly.
 */
export function requestedSeed(): 'demo' | 'none' {
  const value = process.env.CHANNELFLOW_SEED ?? (process.env.NODE_ENV === 'production' ? 'none' : 'demo');
  if (value !== 'demo' && value !== 'none') throw new Error(`CHANNELFLOW_SEED must be demo or none, got "${value}"`);
  return value;
}

/**
 * Loads the deterministic demo data on the first start only (CHANNELFLOW_SEED=demo, the
 * default for npm start). A marker in Strapi's store makes every later start reuse the data.
 */
export async function runSeedOnce(strapi: Core.Strapi): Promise<SeedOutcome> {
  if (requestedSeed() === 'none') return { ran: false, plugins: [], demoPassword: null };
  const store = strapi.store({ type: 'core', name: 'channelflow' });
  if (await store.get({ key: STORE_KEY })) return { ran: false, plugins: [], demoPassword: null };
  // Never a fixed fallback: demo logins include a platform admin.
  const demoPassword = process.env.DEMO_PASSWORD || `demo-${randomBytes(6).toString('base64url')}`;

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
  return { ran: true, plugins: plugins.map((p) => p.name), demoPassword };
}

/**
 * After the seeding start's workflow runtime is up: each plug-in's demo processes (applications
 * in review, open requests), so the demo opens with tasks in the inboxes. A failure is logged,
 * not fatal: the demo data itself is complete without them.
 */
export async function runSeedProcesses(strapi: Core.Strapi, outcome: SeedOutcome): Promise<void> {
  if (!outcome.ran || !outcome.demoPassword) return;
  const log = {
    info: (m: string) => strapi.log.info(`[seed] ${m}`),
    warn: (m: string) => strapi.log.warn(`[seed] ${m}`),
    error: (m: string) => strapi.log.error(`[seed] ${m}`),
  };
  for (const plugin of seedOrder(platformRegistry(strapi).listPlugins()).filter((p) => p.seedProcesses)) {
    try {
      await plugin.seedProcesses!({ strapi, random: seededRandom(seedFor(`${plugin.name}:processes`)), demoPassword: outcome.demoPassword, log });
    } catch (error) {
      log.error(`demo processes of ${plugin.name} could not start: ${(error as Error)?.message ?? error}`);
    }
  }
}
