import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const faulty = path.join(__dirname, 'fixtures', 'plugins', 'faulty');
const INTROSPECTION = '{ __schema { queryType { name } } }';

/** The same failures, once in development and once in production: only production hides the internals. */
describe.each([
  { mode: 'development', leaks: true },
  { mode: 'production', leaks: false },
])('error responses in $mode mode', ({ mode, leaks }) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { NODE_ENV: mode, CHANNELFLOW_EXTRA_PLUGIN_DIRS: faulty } });
  });
  afterAll(() => env?.destroy());

  it(`${leaks ? 'shows' : 'hides'} stack traces`, async () => {
    const staff = await env.asStaff('channel-manager');
    const responses = [
      await env.anonymous.request('{ faultyBoom }'),
      await staff.request('query { dealers(page: 0) { total } }'),
      await staff.request('query { dealers { nope } }'),
      await env.anonymous.request('query { dealers { total } }'),
    ];
    const text = JSON.stringify(responses);
    expect(text.includes('stacktrace')).toBe(leaks);
    expect(text.includes('hunter2')).toBe(leaks);
    expect(responses[0]!.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(responses[0]!.errors?.[0]?.message).not.toContain('secret');
  });

  it(`${leaks ? 'gives' : 'hides'} schema hints on unknown fields`, async () => {
    const staff = await env.asStaff('channel-manager');
    const res = await staff.request('query { dealers { nodez { code } } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message.includes('Did you mean "nodes"?')).toBe(leaks);
  });

  it(`${leaks ? 'allows' : 'refuses'} introspection`, async () => {
    const res = await env.anonymous.request(INTROSPECTION);
    if (leaks) expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    else expect(res.errors?.[0]?.message).toMatch(/introspection/i);
  });
});
