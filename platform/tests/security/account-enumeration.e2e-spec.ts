import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture';

// Whether an account exists must not show in how long sign-in takes. The cost itself is compared
// statistically in platform/sdk/tests/password-timing.spec.ts; here the wiring is proved without a
// clock: every refusal makes exactly one password check, and a reset request answers before any
// work that depends on the account.
const LOGIN = 'mutation ($id: String!, $p: String!) { login(input: { identifier: $id, password: $p }) { jwt } }';
const FORGOT = 'mutation ($e: String!) { forgotPassword(email: $e) { ok } }';
const ACCEPT = 'mutation ($token: String!, $password: String!) { acceptDealerInvitation(token: $token, password: $password) { jwt } }';

describe('sign-in does not tell whether an account exists', () => {
  let env: TestEnvironment;
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    env = await createTestEnvironment({ env: smtp.env });
  });
  afterAll(async () => {
    await env?.destroy();
    await smtp?.stop();
  });

  /** How many password checks users-permissions makes while `run` runs. */
  async function passwordChecks(run: () => Promise<unknown>): Promise<number> {
    const users = env.strapi.plugin('users-permissions').service('user') as { validatePassword: (...a: unknown[]) => Promise<boolean> };
    const original = users.validatePassword;
    let checks = 0;
    users.validatePassword = (...args) => {
      checks += 1;
      return original(...args);
    };
    try {
      await run();
    } finally {
      users.validatePassword = original;
    }
    return checks;
  }

  it('checks one password for an unknown identifier, a wrong password and a right one alike, over GraphQL and REST', async () => {
    const staff = await env.asStaff('finance');
    const password = 'Known-password-1';
    await env.strapi.plugin('users-permissions').service('user').edit(staff.user.id, { password });
    const rest = (identifier: string, pw: string) =>
      env.http('/api/auth/local', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identifier, password: pw }) });

    const unknownGraphql = await passwordChecks(async () => {
      const res = await env.anonymous.request(LOGIN, { id: 'nobody@example.com', p: 'guess' });
      expect(res.errors?.[0]?.message).toMatch(/Invalid identifier or password/);
    });
    const wrongGraphql = await passwordChecks(async () => {
      const res = await env.anonymous.request(LOGIN, { id: staff.user.email, p: 'guess' });
      expect(res.errors?.[0]?.message).toMatch(/Invalid identifier or password/);
    });
    const rightGraphql = await passwordChecks(async () => {
      expect((await env.anonymous.query(LOGIN, { id: staff.user.email, p: password })).login.jwt).toEqual(expect.any(String));
    });
    const unknownRest = await passwordChecks(async () => expect((await rest('nobody@example.com', 'guess')).status).toBe(400));
    const wrongRest = await passwordChecks(async () => expect((await rest(staff.user.email, 'guess')).status).toBe(400));
    expect([unknownGraphql, wrongGraphql, rightGraphql, unknownRest, wrongRest]).toEqual([1, 1, 1, 1, 1]);
    // Both refusals say the same thing.
    expect(await (await rest('nobody@example.com', 'guess')).json()).toEqual(await (await rest(staff.user.email, 'guess')).json());
  });

  it('spends a password hash on an unknown invitation token too', async () => {
    const checks = await passwordChecks(() => env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token: 'no-such-invitation-token-0123456789', password: 'Whatever-123' }));
    expect(checks).toBe(1);
  });

  it('answers a reset request before the e-mail for a known address is even delivered', async () => {
    const staff = await env.asStaff('director');
    const release = smtp.hold();
    try {
      expect(await env.anonymous.query(FORGOT, { e: staff.user.email })).toEqual({ forgotPassword: { ok: true } });
      expect(await env.anonymous.query(FORGOT, { e: 'nobody@example.com' })).toEqual({ forgotPassword: { ok: true } });
      // The SMTP server still holds the message: the answer did not wait for the account's work.
      expect(smtp.to(staff.user.email)).toHaveLength(0);
    } finally {
      release();
    }
    await eventually(() => expect(smtp.to(staff.user.email)).toHaveLength(1));
    expect(smtp.to('nobody@example.com')).toHaveLength(0);
  });

  it('answers an e-mail confirmation request alike for a confirmed account and for no account', async () => {
    const staff = await env.asStaff('finance');
    const ask = async (email: string) => {
      const res = await env.http('/api/auth/send-email-confirmation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      return { status: res.status, body: await res.json() };
    };
    const known = await ask(staff.user.email);
    const unknown = await ask('nobody@example.com');
    expect(known).toEqual({ status: 200, body: { email: staff.user.email, sent: true } });
    expect(unknown).toEqual({ status: 200, body: { email: 'nobody@example.com', sent: true } });
    // A malformed address is still refused, for anyone.
    expect((await ask('not-an-address')).status).toBe(400);
  });
});
