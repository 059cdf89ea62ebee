import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const DEALERS = 'query { dealers { total } }';

describe('GraphQL errors, authentication and permissions', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  it('answers /_health', async () => {
    const res = await env.http('/_health');
    expect(res.status).toBe(204);
  });

  it('answers an unknown route with 404, a stable code and what was asked for', async () => {
    const res = await env.http('/no-such-route');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'NOT_FOUND', message: 'Not Found: GET /no-such-route' });
  });

  it('refuses a staff query without credentials with UNAUTHENTICATED', async () => {
    const error = await env.anonymous.expectError('UNAUTHENTICATED', DEALERS);
    expect(error.message).toMatch(/sign in/i);
  });

  it('refuses a forged token with a GraphQL-shaped UNAUTHENTICATED error', async () => {
    const res = await fetch(`${env.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token' },
      body: JSON.stringify({ query: DEALERS }),
    });
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('reports malformed GraphQL as a parse error', async () => {
    const staff = await env.asStaff('channel-manager');
    await staff.expectError('GRAPHQL_PARSE_FAILED', 'query { dealers { total }');
  });

  it('reports invalid variables as BAD_USER_INPUT', async () => {
    const staff = await env.asStaff('channel-manager');
    const res = await staff.request('query ($p: Int) { dealers(page: $p) { total } }', { p: 'one' });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('reports out-of-range arguments as BAD_INPUT with the field', async () => {
    const staff = await env.asStaff('channel-manager');
    const error = await staff.expectError('BAD_INPUT', 'query { dealers(page: 0) { total } }');
    expect(error.message).toMatch(/page/);
  });

  it('lets a staff role holding the permission in, and keeps dealers out of staff queries', async () => {
    const rep = await env.asStaff('sales-rep');
    expect((await rep.query(DEALERS)).dealers.total).toBeGreaterThanOrEqual(0);
    const dealer = await env.createDealer();
    const portal = await env.asDealer(dealer);
    await portal.expectError('FORBIDDEN', DEALERS);
  });

  it('refuses a staff role without the permission, naming it', async () => {
    const rep = await env.asStaff('sales-rep');
    const error = await rep.expectError('FORBIDDEN', 'query { outboxMessages { total } }');
    expect(error.message).toContain('platform.read-outbox');
  });

  it('lets a read-only API token query but not mutate', async () => {
    const token = await env.asApiToken('read-only');
    expect((await token.query(DEALERS)).dealers.total).toBeGreaterThanOrEqual(0);
    await token.expectError('FORBIDDEN', 'mutation { sendTestEmail(to: "a@b.example") { status } }');
  });

  it('refuses self-registration: portal accounts come from invitations', async () => {
    const res = await env.anonymous.request(
      'mutation { register(input: { username: "intruder", email: "intruder@example.com", password: "Secret-123456" }) { jwt } }',
    );
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_INPUT' } });
    expect(res.errors?.[0]?.message).toMatch(/register action is currently disabled/i);
    expect(await env.strapi.db.query('plugin::users-permissions.user').count({ where: { email: 'intruder@example.com' } })).toBe(0);
  });

  it('lets staff and dealer users read their own account and change their password', async () => {
    const staff = await env.asStaff('finance');
    expect((await staff.query('{ me { email } }')).me.email).toBe(staff.user.email);
    const portal = await env.asDealer(await env.createDealer());
    expect((await portal.query('{ me { email } }')).me.email).toBe(portal.user.email);
  });
});
