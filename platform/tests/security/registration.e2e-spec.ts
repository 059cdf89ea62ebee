import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const USER = 'plugin::users-permissions.user';
const REGISTER = 'mutation ($input: UsersPermissionsRegisterInput!) { register(input: $input) { jwt } }';

/**
 * Portal accounts come from invitations only: self-registration is closed on first start. An admin may
 * re-open it in the admin panel; even then a newcomer cannot choose a role or mark itself confirmed or
 * unblocked, because users-permissions' register.allowedFields is empty (only username, email, password).
 */
describe('self-registration', () => {
  let env: TestEnvironment;
  let counter = 0;
  const newcomer = () => {
    counter += 1;
    return { username: `newcomer-${counter}`, email: `newcomer-${counter}@example.com`, password: 'Spring-2026-pass' };
  };
  const register = (body: Record<string, unknown>) =>
    env.http('/api/auth/local/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const users = () => env.strapi.db.query(USER).count({});
  const setAllowRegister = async (allow: boolean) => {
    const store = env.strapi.store({ type: 'plugin', name: 'users-permissions' });
    const advanced = (await store.get({ key: 'advanced' })) as Record<string, unknown>;
    await store.set({ key: 'advanced', value: { ...advanced, allow_register: allow } });
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  it('is closed on REST and GraphQL', async () => {
    const before = await users();
    const res = await register(newcomer());
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/register action is currently disabled/i);
    const gql = await env.anonymous.request(REGISTER, { input: newcomer() });
    expect(gql.data?.register ?? null).toBeNull();
    expect(gql.errors?.[0]?.message).toMatch(/register action is currently disabled/i);
    expect(await users()).toBe(before);
  });

  describe('re-opened by an admin', () => {
    beforeAll(() => setAllowRegister(true));
    afterAll(() => setAllowRegister(false));

    it('positive control: a plain registration works and gets the role with no platform rights', async () => {
      const res = await register(newcomer());
      expect(res.status).toBe(200);
      const body = (await res.json()) as { jwt: string; user: { id: number } };
      const created = await env.strapi.db.query(USER).findOne({ where: { id: body.user.id }, populate: ['role'] });
      expect(created.role.type).toBe('authenticated');
      // That role reaches neither staff nor dealer operations.
      const asNewcomer = new GraphqlClient(`${env.baseUrl}/graphql`, body.jwt);
      expect((await asNewcomer.query('{ me { email } }')).me.email).toBe(created.email);
      await asNewcomer.expectError('FORBIDDEN', '{ dealers { total } }');
      await asNewcomer.expectError('FORBIDDEN', '{ myDealer { myRole } }');

      const input = newcomer();
      expect((await env.anonymous.query(REGISTER, { input })).register.jwt).toBeTruthy();
      const viaGraphql = await env.strapi.db.query(USER).findOne({ where: { email: input.email }, populate: ['role'] });
      expect(viaGraphql.role.type).toBe('authenticated');
    });

    it.each([
      ['role', async (env: TestEnvironment) => (await env.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'platform-admin' } })).id],
      ['role', async () => ({ connect: [{ documentId: 'x' }] })],
      ['confirmed', async () => true],
      ['confirmed', async () => false],
      ['blocked', async () => false],
      ['provider', async () => 'google'],
      ['resetPasswordToken', async () => 'chosen-by-me'],
    ])('refuses a body naming %s', async (field, value) => {
      const before = await users();
      const attempt = { ...newcomer(), [field]: await value(env) };
      const res = await register(attempt);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toMatch(new RegExp(`invalid parameters: ${field}`, 'i'));
      expect(await env.strapi.db.query(USER).findOne({ where: { email: attempt.email } })).toBeNull();
      expect(await users()).toBe(before);

      // GraphQL's register input has no such field at all.
      const gql = await env.anonymous.request(REGISTER, { input: attempt });
      expect(gql.errors?.[0]?.message).toMatch(new RegExp(`"${field}" is not defined`));
      expect(await users()).toBe(before);
    });
  });
});
