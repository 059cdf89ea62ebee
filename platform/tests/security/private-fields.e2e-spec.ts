import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const USER = 'plugin::users-permissions.user';

/**
 * A user's password hash, reset token and confirmation token can be neither read nor used as a filter or
 * sort key, by anyone, through REST or GraphQL. A filter that answered differently for a matching and a
 * non-matching prefix would let a caller guess a reset token one character at a time, so every probe is
 * sent twice and both answers must be the same.
 */
describe('private user fields', () => {
  let env: TestEnvironment;
  let target: { id: number; email: string };
  // The first character of each secret of the target user: the "matching" prefix.
  const secrets: Record<string, string> = {};
  const principals: Array<{ name: string; client: GraphqlClient; canListUsers: boolean }> = [];

  beforeAll(async () => {
    env = await createTestEnvironment();
    const victim = await env.asDealer(await env.createDealer());
    const resetPasswordToken = `a${randomBytes(16).toString('hex')}`;
    const confirmationToken = `b${randomBytes(16).toString('hex')}`;
    await env.strapi.db.query(USER).update({ where: { id: victim.user.id }, data: { resetPasswordToken, confirmationToken } });
    const stored = await env.strapi.db.query(USER).findOne({ where: { id: victim.user.id } });
    target = { id: victim.user.id, email: victim.user.email };
    secrets.password = stored.password;
    secrets.resetPasswordToken = resetPasswordToken;
    secrets.confirmationToken = confirmationToken;

    principals.push({ name: 'anonymous', client: env.anonymous, canListUsers: false });
    principals.push({ name: 'dealer portal user', client: await env.asDealer(await env.createDealer()), canListUsers: false });
    for (const role of platformRegistry(env.strapi).staffRoles()) principals.push({ name: role, client: await env.asStaff(role), canListUsers: false });
    // Full-access tokens pass every permission check: the strongest reader there is, and the positive control.
    principals.push({ name: 'full-access API token', client: await env.asApiToken('full-access'), canListUsers: true });
    principals.push({ name: 'read-only API token', client: await env.asApiToken('read-only'), canListUsers: true });
  });
  afterAll(() => env?.destroy());

  const FIELDS = ['password', 'resetPasswordToken', 'confirmationToken'] as const;
  const matching = (field: string) => secrets[field]!.slice(0, 1);
  // No secret starts with "~": bcrypt hashes start with "$", the tokens with a/b.
  const NOT_MATCHING = '~';

  it('positive control: filters on public fields do narrow the list for those who may list users', async () => {
    for (const { client } of principals.filter((p) => p.canListUsers)) {
      const hit = await rest(env, client, `/api/users?filters[email][$eq]=${encodeURIComponent(target.email)}`);
      const miss = await rest(env, client, `/api/users?filters[email][$eq]=nobody@example.invalid`);
      expect([hit.status, hit.count, miss.status, miss.count]).toEqual([200, 1, 200, 0]);
      const res = await client.query(`{ usersPermissionsUsers(filters: { email: { eq: "${target.email}" } }) { email } }`);
      expect(res.usersPermissionsUsers).toEqual([{ email: target.email }]);
    }
  });

  it('positive control: every signed-in principal reads its own account', async () => {
    for (const { name, client } of principals.filter((p) => p.name !== 'anonymous' && !p.name.includes('token'))) {
      const res = await rest(env, client, '/api/users/me');
      expect(res.status, name).toBe(200);
      expect((await client.query('{ me { id } }')).me.id, name).toBeTruthy();
    }
  });

  it('no REST read of a user carries a private field', async () => {
    for (const { name, client } of principals) {
      for (const path of ['/api/users', `/api/users/${target.id}`, '/api/users/me', '/api/users?populate=*', '/api/users?populate[role][populate]=users']) {
        const res = await rest(env, client, path);
        for (const field of FIELDS) {
          expect(res.text, `${name} GET ${path}`).not.toContain(`"${field}"`);
          expect(res.text, `${name} GET ${path}`).not.toContain(secrets[field]);
        }
      }
    }
  });

  it('REST filters, sorts and field selections on private fields are no oracle', async () => {
    const probes = (field: string, prefix: string) => [
      `/api/users?filters[${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users?filters[$or][0][${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users?filters[role][users][${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users?populate[role][populate][users][filters][${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users/count?filters[${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users/${target.id}?filters[${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users/me?filters[${field}][$startsWith]=${encodeURIComponent(prefix)}`,
      `/api/users-permissions/roles?filters[users][${field}][$startsWith]=${encodeURIComponent(prefix)}`,
    ];
    for (const { name, client, canListUsers } of principals) {
      for (const field of FIELDS) {
        const hits = await Promise.all(probes(field, matching(field)).map((path) => rest(env, client, path)));
        const misses = await Promise.all(probes(field, NOT_MATCHING).map((path) => rest(env, client, path)));
        const paths = probes(field, '…');
        hits.forEach((hit, i) => {
          const miss = misses[i]!;
          expect(summary(hit), `${name} ${paths[i]}`).toEqual(summary(miss));
          if (paths[i]!.startsWith('/api/users-permissions/roles')) {
            // The roles list ignores query parameters altogether: the same list either way.
            expect(hit.text, `${name} ${paths[i]}`).toEqual(miss.text);
          } else {
            // Only refusals: a 200 would mean the filter was silently dropped or, worse, applied.
            expect([400, 401, 403], `${name} ${paths[i]}`).toContain(hit.status);
            // A full-access token reaches the controller: there the filter itself is what is refused.
            if (name.startsWith('full-access') && !paths[i]!.startsWith('/api/users/me')) expect(hit.status, `${name} ${paths[i]}`).toBe(400);
          }
        });
        for (const path of [`/api/users?sort=${field}:asc`, `/api/users?sort[0]=${field}:desc`, `/api/users?fields[0]=${field}`]) {
          const res = await rest(env, client, path);
          expect([400, 401, 403], `${name} ${path}`).toContain(res.status);
          expect(res.text).not.toContain(secrets[field]);
        }
      }
    }
  });

  it('GraphQL neither returns, filters nor sorts by private fields', async () => {
    for (const { name, client } of principals) {
      for (const field of FIELDS) {
        const operations = (prefix: string) => [
          `{ usersPermissionsUsers(filters: { ${field}: { startsWith: "${prefix}" } }) { documentId } }`,
          `{ usersPermissionsUsers_connection(filters: { or: [{ ${field}: { startsWith: "${prefix}" } }] }) { nodes { documentId } } }`,
          `{ usersPermissionsRoles(filters: { users: { ${field}: { startsWith: "${prefix}" } } }) { name } }`,
          `{ usersPermissionsRoles { users(filters: { ${field}: { startsWith: "${prefix}" } }) { documentId } } }`,
        ];
        const hits = await Promise.all(operations(matching(field)).map((q) => client.request(q)));
        const misses = await Promise.all(operations(NOT_MATCHING).map((q) => client.request(q)));
        hits.forEach((hit, i) => {
          expect(gqlSummary(hit), `${name} ${operations('…')[i]}`).toEqual(gqlSummary(misses[i]!));
          expect(hit.data ?? null, `${name} ${operations('…')[i]}`).toBeNull();
          expect(hit.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        });
        for (const q of [
          `{ usersPermissionsUsers(sort: "${field}:asc") { documentId } }`,
          `{ usersPermissionsRoles { users(sort: "${field}") { documentId } } }`,
        ]) {
          const res = await client.request(q);
          expect(res.errors?.length, `${name} ${q}`).toBeGreaterThan(0);
          expect(JSON.stringify(res.data ?? null)).not.toMatch(/documentId/);
        }
        for (const q of [`{ usersPermissionsUsers { ${field} } }`, `{ usersPermissionsUser(id: "${target.id}") { ${field} } }`, `{ me { ${field} } }`]) {
          const res = await client.request(q);
          expect(res.errors?.[0]?.extensions?.code, `${name} ${q}`).toBe('GRAPHQL_VALIDATION_FAILED');
        }
      }
    }
  });
});

interface RestAnswer {
  status: number;
  text: string;
  /** Rows in a list answer, the number a count answers, else null. */
  count: number | null;
}

async function rest(env: TestEnvironment, client: GraphqlClient, path: string): Promise<RestAnswer> {
  const res = await env.http(path, { headers: client.token ? { authorization: `Bearer ${client.token}` } : {} });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  const count = Array.isArray(body) ? body.length : typeof body === 'number' ? body : null;
  return { status: res.status, text, count };
}

/** What an oracle could tell apart: the status, how many rows, the error. */
function summary(answer: RestAnswer) {
  let error: unknown = null;
  try {
    error = (JSON.parse(answer.text) as { error?: { name?: string; message?: string } }).error ?? null;
  } catch {
    error = answer.text;
  }
  return { status: answer.status, count: answer.count, error };
}

function gqlSummary(res: { status: number; data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> }) {
  return { status: res.status, data: res.data ?? null, errors: (res.errors ?? []).map((e) => [e.extensions?.code, e.message]) };
}
