import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifications } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { startSmtpCapture, type SmtpCapture } from './support/smtp-capture';

const SEND = 'mutation ($to: String!, $locale: String) { sendTestEmail(to: $to, locale: $locale) { documentId status statusReason subject locale html } }';
const OUTBOX = 'query ($status: OutboxStatus) { outboxMessages(status: $status) { total nodes { to status statusReason subject } } }';

describe('outbox without SMTP', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  it('keeps the rendered e-mail in the outbox, marked as not sent', async () => {
    const admin = await env.asStaff('platform-admin');
    const { sendTestEmail } = await admin.query(SEND, { to: 'someone@example.com', locale: 'en' });
    expect(sendTestEmail).toMatchObject({ status: 'not_sent', statusReason: 'not sent: no SMTP configured', locale: 'en' });
    expect(sendTestEmail.html).toContain('<html');
    const { outboxMessages } = await admin.query(OUTBOX, { status: 'not_sent' });
    expect(outboxMessages.total).toBe(1);
    expect(outboxMessages.nodes[0]).toMatchObject({ to: 'someone@example.com', subject: sendTestEmail.subject });
  });

  it('refuses a bad address and stores nothing', async () => {
    const admin = await env.asStaff('platform-admin');
    const before = (await admin.query(OUTBOX)).outboxMessages.total;
    await admin.expectError('BAD_INPUT', SEND, { to: 'not-an-address' });
    expect((await admin.query(OUTBOX)).outboxMessages.total).toBe(before);
  });

  it("stores Strapi's own e-mails too: a password reset lands in the outbox, its code redacted", async () => {
    const staff = await env.asStaff('sales-rep');
    const res = await env.anonymous.request('mutation ($e: String!) { forgotPassword(email: $e) { ok } }', { e: staff.user.email });
    expect(res.data).toEqual({ forgotPassword: { ok: true } });
    const admin = await env.asStaff('platform-admin');
    const { outboxMessages } = await eventually(async () => {
      const found = await admin.query('query ($to: String) { outboxMessages(to: $to) { total nodes { status template text carriesSecret } } }', { to: staff.user.email });
      expect(found.outboxMessages.total).toBe(1);
      return found;
    });
    expect(outboxMessages.nodes[0]).toMatchObject({ status: 'not_sent', template: null, carriesSecret: true, text: expect.stringContaining('code=[redacted]') });
  });

  it('is for platform admins only by default', async () => {
    for (const role of ['channel-manager', 'finance', 'sales-rep', 'director'] as const) {
      const staff = await env.asStaff(role);
      const error = await staff.expectError('FORBIDDEN', OUTBOX);
      expect(error.message).toContain('platform.read-outbox');
    }
  });

  it('lets only platform admins send test e-mails', async () => {
    const finance = await env.asStaff('finance');
    await finance.expectError('FORBIDDEN', SEND, { to: 'someone@example.com' });
  });
});

describe('outbox with SMTP', () => {
  let env: TestEnvironment;
  let smtp: SmtpCapture;
  let received: SmtpCapture['received'];

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    received = smtp.received;
    env = await createTestEnvironment({ env: { ...smtp.env, SMTP_FROM: 'Aurora <no-reply@aurora.example>' } });
  });
  afterAll(async () => {
    await env?.destroy();
    await smtp?.stop();
  });

  it('delivers through the SMTP server and records it as sent', async () => {
    const admin = await env.asStaff('platform-admin');
    const { sendTestEmail } = await admin.query(SEND, { to: 'dealer@example.com', locale: 'zh-CN' });
    expect(sendTestEmail.status).toBe('sent');
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['dealer@example.com']);
    expect(received[0]!.raw).toContain('From: Aurora <no-reply@aurora.example>');
  });

  it("delivers Strapi's own e-mails through the outbox as well", async () => {
    const staff = await env.asStaff('finance');
    await env.anonymous.query('mutation ($e: String!) { forgotPassword(email: $e) { ok } }', { e: staff.user.email });
    await eventually(() => expect(received.at(-1)!.to).toEqual([staff.user.email]));
    const admin = await env.asStaff('platform-admin');
    await eventually(async () => {
      const { outboxMessages } = await admin.query('query ($to: String) { outboxMessages(to: $to) { nodes { status } } }', { to: staff.user.email });
      expect(outboxMessages.nodes).toEqual([{ status: 'sent' }]);
    });
  });

  it('delivers an e-mail queued inside a transaction after the commit, and never one whose transaction rolled back', async () => {
    const outbox = (to: string) => env.strapi.db.query('api::outbox-message.outbox-message').findMany({ where: { to } });
    const mail = (to: string) => ({ to, template: 'platform/test-message', locale: 'en' as const, data: { recipientName: to, sentAt: new Date().toISOString() } });
    await env.strapi.db.transaction(async () => {
      const queued = await notifications(env.strapi).sendEmail(mail('after-commit@example.com'));
      expect(queued.status).toBe('queued');
      expect(received.some((r) => r.to.includes('after-commit@example.com'))).toBe(false);
    });
    await eventually(async () => expect((await outbox('after-commit@example.com')).map((m: any) => m.deliveryStatus)).toEqual(['sent']));
    expect(received.filter((r) => r.to.includes('after-commit@example.com'))).toHaveLength(1);

    const rolledBack = await env.strapi.db
      .transaction(async () => {
        await notifications(env.strapi).sendEmail(mail('rolled-back@example.com'));
        throw new Error('the caller gave up');
      })
      .catch((error: Error) => error.message);
    expect(rolledBack).toBe('the caller gave up');
    await new Promise((r) => setTimeout(r, 300));
    expect(received.some((r) => r.to.includes('rolled-back@example.com'))).toBe(false);
    expect(await outbox('rolled-back@example.com')).toEqual([]);
  });

  it('records a delivery failure instead of losing the e-mail', async () => {
    await smtp.stop();
    await new Promise((r) => setTimeout(r, 100));
    const admin = await env.asStaff('platform-admin');
    const { sendTestEmail } = await admin.query(SEND, { to: 'dealer@example.com', locale: 'en' });
    expect(sendTestEmail.status).toBe('failed');
    expect(sendTestEmail.statusReason).toMatch(/SMTP delivery failed/);
    const { outboxMessages } = await admin.query(OUTBOX, { status: 'failed' });
    expect(outboxMessages.total).toBe(1);
  });
});
