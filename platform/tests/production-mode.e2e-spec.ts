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

  it(`${leaks ? 'serves its own GraphQL explorer' : 'serves no GraphQL explorer'} to a browser`, async () => {
    const page = await env.http('/graphql', { headers: { accept: 'text/html' } });
    const html = await page.text();
    const script = await env.http('/graphql/explorer/graphiql.min.js');
    if (leaks) {
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(html).toContain('<script src="/graphql/explorer/graphiql.min.js"></script>');
      // Every file from this platform: nothing from a CDN or Apollo's servers.
      expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).every((url) => url!.startsWith('/graphql/explorer/'))).toBe(true);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
    } else {
      expect(html).not.toMatch(/<script|apollographql/i);
      expect(script.status).toBe(404);
    }
  });

  it(`${leaks ? 'allows' : 'refuses'} introspection`, async () => {
    const res = await env.anonymous.request(INTROSPECTION);
    if (leaks) expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    else expect(res.errors?.[0]?.message).toMatch(/introspection/i);
  });
});
