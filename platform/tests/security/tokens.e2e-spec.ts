import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

/**
 * A bearer is a users-permissions JWT signed with this platform's JWT_SECRET and not expired, or an API
 * token; anything else is refused on REST and GraphQL alike, before any resolver reads data.
 */
describe('forged and stale JWTs', () => {
  let env: TestEnvironment;
  let userId: number;
  let email: string;
  beforeAll(async () => {
    env = await createTestEnvironment();
    const staff = await env.asStaff('platform-admin');
    userId = staff.user.id;
    email = staff.user.email;
  });
  afterAll(() => env?.destroy());

  const now = () => Math.floor(Date.now() / 1000);
  const forged: Array<[string, () => string]> = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ id: userId, iat: now() })}.`],
    ['alg None, signature kept', () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64({ id: userId, iat: now() })}.${hs256Signature('x', 'y')}`],
    ['expired', () => hs256({ id: userId, iat: now() - 3600, exp: now() - 60 }, process.env.JWT_SECRET!)],
    ['signed with a foreign secret', () => hs256({ id: userId, iat: now() }, 'not-this-platforms-secret')],
    ["signed with the admin panel's secret", () => hs256({ id: userId, iat: now() }, process.env.ADMIN_JWT_SECRET!)],
    ['payload changed after signing', () => {
      const genuine = env.strapi.plugin('users-permissions').service('jwt').issue({ id: userId + 1000 }) as string;
      const [header, , signature] = genuine.split('.');
      return `${header}.${b64({ id: userId, iat: now() })}.${signature}`;
    }],
  ];

  it('positive control: a JWT made as the platform makes them is accepted on both', async () => {
    const jwt = hs256({ id: userId, iat: now(), exp: now() + 600 }, process.env.JWT_SECRET!);
    const rest = await env.http('/api/users/me', { headers: { authorization: `Bearer ${jwt}` } });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { email: string }).email).toBe(email);
    const gql = await graphql(env, jwt, '{ me { email } salesTeams { code } }');
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.data.me.email).toBe(email);
  });

  it.each(forged)('refuses a JWT with %s on REST', async (_label, make) => {
    const res = await env.http('/api/users/me', { headers: { authorization: `Bearer ${make()}` } });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(email);
  });

  it.each(forged)('refuses a JWT with %s on GraphQL', async (_label, make) => {
    for (const query of ['{ me { email } }', '{ salesTeams { code } }', 'mutation { changePassword(currentPassword: "a", password: "Bbbbbbbb1", passwordConfirmation: "Bbbbbbbb1") { jwt } }']) {
      const res = await graphql(env, make(), query);
      expect(res.status, query).toBe(401);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

async function graphql(env: TestEnvironment, jwt: string, query: string) {
  const res = await env.http('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function hs256Signature(input: string, secret: string): string {
  return createHmac('sha256', secret).update(input).digest('base64url');
}

function hs256(payload: Record<string, unknown>, secret: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${hs256Signature(input, secret)}`;
}
