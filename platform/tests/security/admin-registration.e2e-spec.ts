import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const ADMIN_USER = 'admin::user';

/** The first super admin is created on first start (ensureAdminUser); nobody registers another through /admin. */
describe('/admin/register-admin', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  const registerAdmin = (email: string) =>
    env.http('/admin/register-admin', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, firstname: 'Mallory', lastname: 'Example', password: 'Spring-2026-Pass' }),
    });

  it('is refused once an admin exists (one exists from the first start)', async () => {
    const before = await env.strapi.db.query(ADMIN_USER).count({});
    expect(before).toBeGreaterThan(0);
    const res = await registerAdmin('mallory@example.com');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/cannot register a new super admin/i);
    expect(await env.strapi.db.query(ADMIN_USER).count({})).toBe(before);
    expect(await env.strapi.db.query(ADMIN_USER).findOne({ where: { email: 'mallory@example.com' } })).toBeNull();
  });

  it('positive control: the same request creates the first admin on an empty platform, and only the first', async () => {
    await env.strapi.db.query(ADMIN_USER).deleteMany({});
    const first = await registerAdmin('first@example.com');
    expect(first.status).toBe(200);
    expect(((await first.json()) as { data: { token: string } }).data.token).toBeTruthy();
    const second = await registerAdmin('second@example.com');
    expect(second.status).toBe(400);
    expect((await env.strapi.db.query(ADMIN_USER).findMany({})).map((u: { email: string }) => u.email)).toEqual(['first@example.com']);
  });
});
