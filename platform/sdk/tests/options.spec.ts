import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOptions, optionEnvName, optionsFromEnv, publicUrl } from '../src/options';

describe('option environment names', () => {
  it.each([
    ['dealers', 'infoAnswerWindow', 'DEALERS_INFO_ANSWER_WINDOW'],
    ['orders', 'staleAfter', 'ORDERS_STALE_AFTER'],
    ['demo-thing', 'batchSize', 'DEMO_THING_BATCH_SIZE'],
    ['demo-thing', 'enabled', 'DEMO_THING_ENABLED'],
    ['gift-cards-2', 'maxPer24h', 'GIFT_CARDS_2_MAX_PER24H'],
  ])('%s + %s ↔ %s', (plugin, key, env) => {
    expect(optionEnvName(plugin, key)).toBe(env);
    // …and back again, which is what config/plugins.ts does with the environment.
    expect(optionsFromEnv(plugin, { [env]: 'v' })).toEqual({ [key]: 'v' });
  });

  it("collects only the plug-in's own variables", () => {
    const env = { DEMO_THING_BATCH_SIZE: '25', DEMO_BATCH_SIZE: '1', DEALERS_INFO_ANSWER_WINDOW: 'P1D', PATH: '/bin' };
    expect(optionsFromEnv('demo-thing', env)).toEqual({ batchSize: '25' });
    expect(optionsFromEnv('dealers', env)).toEqual({ infoAnswerWindow: 'P1D' });
  });
});

describe('defineOptions', () => {
  const options = defineOptions(
    'demo-thing',
    z.object({
      batchSize: z.coerce.number().int().min(1).default(50).describe('records handled per run'),
      enabled: z.stringbool().default(true).describe('whether the nightly run happens'),
      greeting: z.string().describe('how e-mails open').default('Hello'),
      window: z.string().regex(/^P/, 'an ISO 8601 duration').default('P30D'),
    }),
  );
  const fromEnv = (env: Record<string, string>) => options.parse(optionsFromEnv('demo-thing', env));

  it('gives every default when nothing is set', () => {
    expect(fromEnv({})).toEqual({ batchSize: 50, enabled: true, greeting: 'Hello', window: 'P30D' });
  });

  it.each([
    [{ DEMO_THING_BATCH_SIZE: '25' }, { batchSize: 25 }],
    [{ DEMO_THING_ENABLED: 'false' }, { enabled: false }],
    [{ DEMO_THING_ENABLED: '0' }, { enabled: false }],
    [{ DEMO_THING_GREETING: '您好' }, { greeting: '您好' }],
    [{ DEMO_THING_WINDOW: 'PT12H' }, { window: 'PT12H' }],
  ])('coerces %j from its string', (env, expected) => {
    expect(fromEnv(env)).toMatchObject(expected);
  });

  it.each([
    [{ DEMO_THING_BATCH_SIZE: 'many' }, /DEMO_THING_BATCH_SIZE: /],
    [{ DEMO_THING_BATCH_SIZE: '0' }, /DEMO_THING_BATCH_SIZE: .*>=1/],
    [{ DEMO_THING_ENABLED: 'perhaps' }, /DEMO_THING_ENABLED: /],
    [{ DEMO_THING_WINDOW: '30 days' }, /DEMO_THING_WINDOW: an ISO 8601 duration/],
  ])('a bad value %j names its environment variable', (env, message) => {
    expect(() => fromEnv(env)).toThrow(/^plug-in "demo-thing" settings are invalid: /);
    expect(() => fromEnv(env)).toThrow(message);
  });

  it('names every bad variable at once', () => {
    expect(() => fromEnv({ DEMO_THING_BATCH_SIZE: 'x', DEMO_THING_WINDOW: 'y' })).toThrow(/DEMO_THING_BATCH_SIZE: .*; DEMO_THING_WINDOW: /);
  });

  it('refuses an option without a default, naming it', () => {
    expect(() => defineOptions('demo-thing', z.object({ apiKey: z.string(), batchSize: z.coerce.number().default(1) }))).toThrow(
      'defineOptions(demo-thing): every option needs a default (apiKey)',
    );
    // Optional is a default too: unset.
    expect(defineOptions('demo-thing', z.object({ apiKey: z.string().optional() })).parse({})).toEqual({});
  });

  it('refuses an option no environment variable could set', () => {
    expect(() => defineOptions('demo-thing', z.object({ publicURL: z.string().default('') }))).toThrow(/option "publicURL" cannot be set from DEMO_THING_PUBLIC_URL/);
  });

  it('describe(): each option with its variable, default and text (a .describe() before .default() too)', () => {
    expect(options.describe()).toEqual([
      { plugin: 'demo-thing', key: 'batchSize', env: 'DEMO_THING_BATCH_SIZE', default: '50', description: 'records handled per run' },
      { plugin: 'demo-thing', key: 'enabled', env: 'DEMO_THING_ENABLED', default: 'true', description: 'whether the nightly run happens' },
      { plugin: 'demo-thing', key: 'greeting', env: 'DEMO_THING_GREETING', default: 'Hello', description: 'how e-mails open' },
      { plugin: 'demo-thing', key: 'window', env: 'DEMO_THING_WINDOW', default: 'P30D', description: '' },
    ]);
  });

  it('of(strapi): the validated settings from Strapi\'s plug-in config, parsed once per instance', () => {
    let reads = 0;
    const strapi = { config: { get: (key: string) => (reads++, key === 'plugin::demo-thing' ? { batchSize: '7' } : undefined) } } as any;
    expect(options.of(strapi)).toMatchObject({ batchSize: 7, enabled: true });
    options.of(strapi);
    expect(reads).toBe(1);
  });
});

describe('publicUrl', () => {
  const strapi = (config: Record<string, unknown>) => ({ config: { get: (key: string) => config[key] } }) as any;
  it.each([
    [{ 'server.url': 'https://partners.example.com/' }, 'https://partners.example.com'],
    [{ 'server.url': '', 'server.port': 8080 }, 'http://localhost:8080'],
    [{}, 'http://localhost:1337'],
  ])('%j → %s', (config, expected) => {
    expect(publicUrl(strapi(config))).toBe(expected);
  });
});
