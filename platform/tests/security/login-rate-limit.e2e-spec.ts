import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const PASSWORD = 'Spring-2026-pass';
// Read from the running platform (users-permissions' default: 10 per minute per client address and path).
let ATTEMPTS_ALLOWED = 0;
const LOGIN = 'mutation ($identifier: String!, $password: String!) { login(input: { identifier: $identifier, password: $password }) { jwt } }';

/**
 * The login limit counts per client address, whatever spelling of the path, whatever X-Forwarded-For says
 * (unless TRUST_PROXY names the proxies), and GraphQL's login shares the bucket of REST's /api/auth/local.
 * Once it is spent, even the right password yields no JWT.
 */
describe('login rate limit, TRUST_PROXY unset', () => {
  let env: TestEnvironment;
  let email: string;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { TRUST_PROXY: '' } });
    email = await userWithPassword(env);
    ATTEMPTS_ALLOWED = allowedAttempts(env);
  });
  afterAll(() => env?.destroy());

  it('positive control, then the limit: a right password works, wrong ones are told so, the sixth is refused', async () => {
    const first = await restLogin(env, '/api/auth/local', { identifier: email, password: PASSWORD });
    expect(first.status).toBe(200);
    expect(first.jwt).toBeTruthy();
    for (let i = 1; i < ATTEMPTS_ALLOWED; i += 1) {
      const res = await restLogin(env, '/api/auth/local', { identifier: email, password: `wrong-${i}` }, { 'x-forwarded-for': `192.0.2.${i}` });
      expect([res.status, res.message]).toEqual([400, 'Invalid identifier or password']);
    }
    expect((await restLogin(env, '/api/auth/local', { identifier: email, password: PASSWORD })).status).toBe(429);
  });

  // 'limited': the login route, refused by the limit; 'no route': the router matches nothing (404), so no login either.
  it.each([
    ['/api/auth/local', { 'x-forwarded-for': '203.0.113.9' }, 'limited'],
    ['/api/auth/local', { 'x-forwarded-for': '203.0.113.10, 198.51.100.1', 'x-real-ip': '203.0.113.11', forwarded: 'for=203.0.113.12' }, 'limited'],
    ['/api/auth/local/', {}, 'limited'],
    ['/API/auth/local', {}, 'limited'],
    ['/Api/Auth/Local', {}, 'limited'],
    ['/api/auth/local?x=1', {}, 'limited'],
    ['/api/auth/local?identifier=other', {}, 'limited'],
    ['/api/auth/./local', {}, 'limited'],
    ['//api/auth/local', {}, 'no route'],
    ['/api//auth/local', {}, 'no route'],
    ['/api/auth/local//', {}, 'no route'],
    ['/api/auth/%6Cocal', {}, 'no route'],
    ['/api/auth/local%2F', {}, 'no route'],
    ['/api/auth/local;x', {}, 'no route'],
  ])('%s %o cannot log in any more (%s)', async (path, headers, expected) => {
    const res = await restLogin(env, path, { identifier: email, password: PASSWORD }, headers as Record<string, string>);
    expect(res.jwt).toBeUndefined();
    if (expected === 'limited') expect(res.status).toBe(429);
    else expect(res.status).toBe(404);
  });

  it('GraphQL login draws on the same bucket', async () => {
    const res = await env.anonymous.request(LOGIN, { identifier: email, password: PASSWORD });
    expect(res.data?.login ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('login rate limit behind a proxy (TRUST_PROXY=true)', () => {
  let env: TestEnvironment;
  let email: string;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { TRUST_PROXY: 'true' } });
    email = await userWithPassword(env);
    ATTEMPTS_ALLOWED = allowedAttempts(env);
  });
  afterAll(() => env?.destroy());

  it('counts the address the proxy appended, not the ones the client wrote before it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < ATTEMPTS_ALLOWED + 2; i += 1) {
      statuses.push((await restLogin(env, '/api/auth/local', { identifier: email, password: 'wrong' }, { 'x-forwarded-for': `192.0.2.${i}, 198.51.100.7` })).status);
    }
    expect(statuses).toEqual([...Array(ATTEMPTS_ALLOWED).fill(400), 429, 429]);
    // Positive control: another client behind the same proxy still logs in.
    const other = await restLogin(env, '/api/auth/local', { identifier: email, password: PASSWORD }, { 'x-forwarded-for': '198.51.100.8' });
    expect(other.status).toBe(200);
    expect(other.jwt).toBeTruthy();
  });

  it('counts every aliased login of one GraphQL request', async () => {
    // Mutation fields run one after the other and a failed login ends the request, so right passwords show the count.
    const calls = ATTEMPTS_ALLOWED + 3;
    const aliases = Array.from({ length: calls }, (_, i) => `a${i}: login(input: { identifier: "${email}", password: "${PASSWORD}" }) { jwt }`).join(' ');
    const res = await env.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9' },
      body: JSON.stringify({ query: `mutation { ${aliases} }` }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: Array<{ path?: string[]; extensions?: { code?: string } }> };
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.map((e) => [e.path?.[0], e.extensions?.code])).toEqual([[`a${ATTEMPTS_ALLOWED}`, 'RATE_LIMITED']]);
    // And that client's REST login is spent too.
    expect((await restLogin(env, '/api/auth/local', { identifier: email, password: PASSWORD }, { 'x-forwarded-for': '198.51.100.9' })).status).toBe(429);
  });
});

function allowedAttempts(env: TestEnvironment): number {
  const config = env.strapi.config.get('plugin::users-permissions.ratelimit') as { max: number; interval: number };
  // Every attempt below lands within one window; a window shorter than the test would reset the count.
  expect(config.interval).toBeGreaterThanOrEqual(60_000);
  return config.max;
}

async function userWithPassword(env: TestEnvironment): Promise<string> {
  const staff = await env.asStaff('sales-rep');
  await env.strapi.plugin('users-permissions').service('user').edit(staff.user.id, { password: PASSWORD });
  return staff.user.email;
}

async function restLogin(env: TestEnvironment, path: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await env.http(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: { jwt?: string; error?: { message?: string } } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: only the status matters
  }
  return { status: res.status, jwt: parsed.jwt, message: parsed.error?.message };
}
