import fs from 'node:fs';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
// @ts-expect-error: a plain ES module script without type declarations
import { firstDifference, printPlatformSchema, SCHEMA_FILE } from '../../scripts/schema.mjs';

describe('schema.graphql', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.destroy();
  });

  it('is the schema the platform serves (run npm run schema after changing an operation or type)', () => {
    const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
    const current = printPlatformSchema(env.strapi);
    if (committed !== current) expect.fail(`schema.graphql is out of date: run npm run schema\n${firstDifference(committed, current)}`);
  });

  it('prints the same text every time, arguments in name order too', () => {
    const text = printPlatformSchema(env.strapi);
    expect(printPlatformSchema(env.strapi)).toBe(text);
    expect(text).toContain('requestCreditLimitChange(limitMinor: Long!, reason: String!, temporaryUntil: String): DealerCreditLimitRequest!');
  });

  it('holds what production hides: introspection is off there, so this file is how integrators see the API', async () => {
    // In development the served schema answers introspection; the file holds the same Query fields.
    const { __schema } = await (await env.asStaff('platform-admin')).query('{ __schema { queryType { fields { name } } } }');
    const served = __schema.queryType.fields.map((f: { name: string }) => f.name).sort();
    const file = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(Object.keys(file.getQueryType()!.getFields()).sort()).toEqual(served);
    expect(Object.keys(file.getMutationType()!.getFields())).toContain('placeOrder');
  });
});
