import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture';

// The attack: anyone asks for a platform admin's password reset (1), a colleague holding the outbox
// reads the code from it (2) and resets the password to sign in as the admin (3).
const FORGOT = 'mutation ($e: String!) { forgotPassword(email: $e) { ok } }';
const OUTBOX_TO = 'query ($to: String) { outboxMessages(to: $to) { total nodes { documentId subject html text status carriesSecret } } }';
const RESET = 'mutation ($code: String!, $p: String!) { resetPassword(code: $code, password: $p, passwordConfirmation: $p) { jwt } }';
const INVITE = 'mutation ($email: String!) { inviteDealerUser(email: $email, role: buyer) { id } }';
const ACCEPT = 'mutation ($token: String!, $password: String!) { acceptDealerInvitation(token: $token, password: $password) { jwt } }';
const OUTBOX = 'api::outbox-message.outbox-message';
const STAFF_READERS = ['channel-manager', 'finance', 'sales-rep', 'director'] as const;

describe('no staff account can take over another through the outbox', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  const resetCodeOf = (email: string) =>
    eventually(async () => {
      const user = await env.strapi.db.query('plugin::users-permissions.user').findOne({ where: { email } });
      expect(user?.resetPasswordToken).toBeTruthy();
      return user.resetPasswordToken as string;
    });

  it('stops at step 2 for every staff role, and nobody reading the outbox ever sees the code', async () => {
    const target = await env.asStaff('platform-admin');
    // 1. Anyone may ask for a reset.
    expect(await env.anonymous.query(FORGOT, { e: target.user.email })).toEqual({ forgotPassword: { ok: true } });
    const code = await resetCodeOf(target.user.email);
    await eventually(async () => expect(await env.strapi.db.query(OUTBOX).count({ where: { to: target.user.email } })).toBe(1));

    // 2. No staff role but platform admin may read the outbox at all.
    for (const role of STAFF_READERS) {
      const colleague = await env.asStaff(role);
      await colleague.expectError('FORBIDDEN', OUTBOX_TO, { to: target.user.email });
    }
    // An integration's token passes the permission check, but mail to staff is not listed to it.
    const integration = await env.asApiToken('full-access');
    expect((await integration.query(OUTBOX_TO, { to: target.user.email })).outboxMessages.total).toBe(0);
    // Platform admins see that the reset was sent, never the code.
    const admin = await env.asStaff('platform-admin');
    const { outboxMessages } = await admin.query(OUTBOX_TO, { to: target.user.email });
    expect(outboxMessages.total).toBe(1);
    const [listed] = outboxMessages.nodes;
    expect(listed.carriesSecret).toBe(true);
    expect(listed.text).toContain('[redacted]');
    expect(JSON.stringify(listed)).not.toContain(code);
    // Nor does any readable column of the stored row (the admin panel, a backup, a SQL console).
    const stored = await env.strapi.db.query(OUTBOX).findOne({ where: { to: target.user.email } });
    expect(stored.sealedBody).toBeTruthy();
    expect(JSON.stringify(stored)).not.toContain(code);

    // 3. What the outbox shows opens nothing.
    const refused = await env.anonymous.request(RESET, { code: '[redacted]', p: 'Takeover-2026!' });
    expect(refused.errors?.length).toBeGreaterThan(0);
    expect(refused.data?.resetPassword ?? null).toBeNull();

    // The e-mail its recipient gets still carries the working code (so the refusal above is not a broken reset).
    const [delivered] = await env.mailbox(target.user.email);
    expect(delivered.text).toContain(`code=${code}`);
    const reset = await env.anonymous.query(RESET, { code, p: 'Owner-chose-this-1' });
    expect(reset.resetPassword.jwt).toEqual(expect.any(String));
  });

  it('shows invitation links as [redacted] to readers, while the invitee gets one that works', async () => {
    const dealer = await env.createDealer();
    const owner = await env.asDealer(dealer, 'owner');
    const invitee = `buyer.${Date.now()}@example.com`;
    await owner.query(INVITE, { email: invitee });

    const admin = await env.asStaff('platform-admin');
    const [listed] = (await admin.query(OUTBOX_TO, { to: invitee })).outboxMessages.nodes;
    expect(listed).toMatchObject({ carriesSecret: true, status: 'not_sent' });
    expect(listed.html).toContain('[redacted]');
    expect(listed.html).not.toMatch(/accept-invitation\?token/);
    // Mail to a dealer's people is listed to an integration granted the outbox, redacted the same way.
    const integration = await env.asApiToken('full-access');
    expect((await integration.query(OUTBOX_TO, { to: invitee })).outboxMessages.nodes[0].html).toContain('[redacted]');

    const [delivered] = await env.mailbox(invitee, 'dealers/invitation');
    const token = /accept-invitation\?token(?:=|&#x3D;)([A-Za-z0-9_-]+)/.exec(delivered.html)?.[1];
    expect(token).toBeTruthy();
    expect((await env.anonymous.query(ACCEPT, { token, password: 'Buyer-pass-2026' })).acceptDealerInvitation.jwt).toEqual(expect.any(String));
  });

  it('blanks the secrets an outbox stored before this protection, on the next start', async () => {
    const staff = await env.asStaff('finance');
    const code = 'c0ffee'.repeat(20);
    await env.strapi.db.query('plugin::users-permissions.user').update({ where: { id: staff.user.id }, data: { resetPasswordToken: code } });
    // A row as the earlier outbox wrote it: the code readable, nothing marked.
    const link = `http://localhost:1337/admin/reset-password?code=${code}`;
    const old = await env.strapi.db.query(OUTBOX).create({
      data: { to: staff.user.email, subject: 'Reset password', html: `<p><a href="${link}">${link}</a></p>`, text: link, deliveryStatus: 'not_sent' },
    });
    const invitationLink = 'http://localhost:1337/portal/accept-invitation?token&#x3D;Zm9vYmFyYmF6cXV4cXV1eGNvcmdl';
    const oldInvitation = await env.strapi.db.query(OUTBOX).create({
      data: { to: 'someone@example.com', subject: 'Join', html: `<a href="${invitationLink}">Accept</a>`, text: 'Accept', template: 'dealers/invitation', deliveryStatus: 'not_sent' },
    });
    await env.strapi.store({ type: 'core', name: 'channelflow' }).delete({ key: 'outbox-secrets-redacted' });

    await env.restart();

    const cleaned = await env.strapi.db.query(OUTBOX).findOne({ where: { id: old.id } });
    expect(JSON.stringify(cleaned)).not.toContain(code);
    expect(cleaned).toMatchObject({ carriesSecret: true, toStaff: true, text: expect.stringContaining('[redacted]') });
    const invitation = await env.strapi.db.query(OUTBOX).findOne({ where: { id: oldInvitation.id } });
    expect(invitation.html).not.toContain('Zm9vYmFyYmF6cXV4cXV1eGNvcmdl');
    expect(invitation).toMatchObject({ carriesSecret: true, toStaff: false });
  });
});

describe('secret e-mails over SMTP', () => {
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

  /** The reset code as the SMTP server received it (quoted-printable soft breaks undone). */
  const codeIn = (raw: string) => /code=([0-9a-f]{32,})/.exec(raw.replace(/=\r?\n/g, '').replace(/=3D/g, '='))?.[1];

  it('delivers the working code and keeps no copy of it once delivered', async () => {
    const target = await env.asStaff('platform-admin');
    await env.anonymous.query(FORGOT, { e: target.user.email });
    const [mail] = await eventually(() => {
      const found = smtp.to(target.user.email);
      expect(found).toHaveLength(1);
      return found;
    });
    const code = codeIn(mail.raw);
    expect(code).toBeTruthy();
    const stored = await eventually(async () => {
      const row = await env.strapi.db.query(OUTBOX).findOne({ where: { to: target.user.email } });
      expect(row.deliveryStatus).toBe('sent');
      return row;
    });
    expect(stored.sealedBody).toBeNull();
    expect(JSON.stringify(stored)).not.toContain(code);
    expect((await env.anonymous.query(RESET, { code, p: 'Fresh-password-9' })).resetPassword.jwt).toEqual(expect.any(String));
  });

  it('retries a failed delivery with the secret intact, for platform admins only', async () => {
    const target = await env.asStaff('finance');
    await smtp.stop();
    await env.anonymous.query(FORGOT, { e: target.user.email });
    const failed = await eventually(async () => {
      const row = await env.strapi.db.query(OUTBOX).findOne({ where: { to: target.user.email } });
      expect(row?.deliveryStatus).toBe('failed');
      return row;
    });
    expect(failed.sealedBody).toBeTruthy();

    await smtp.start();
    const RETRY = 'mutation ($id: ID!) { retryOutboxMessage(documentId: $id) { status carriesSecret text } }';
    const manager = await env.asStaff('channel-manager');
    await manager.expectError('FORBIDDEN', RETRY, { id: failed.documentId });
    const admin = await env.asStaff('platform-admin');
    const { retryOutboxMessage } = await admin.query(RETRY, { id: failed.documentId });
    expect(retryOutboxMessage).toMatchObject({ status: 'sent', carriesSecret: true, text: expect.stringContaining('[redacted]') });
    const delivered = smtp.to(target.user.email);
    expect(delivered).toHaveLength(1);
    const code = codeIn(delivered[0]!.raw);
    const user = await env.strapi.db.query('plugin::users-permissions.user').findOne({ where: { id: target.user.id } });
    expect(code).toBe(user.resetPasswordToken);
    // Delivered: the sealed copy is gone, and a second retry is refused without sending anything.
    expect((await env.strapi.db.query(OUTBOX).findOne({ where: { id: failed.id } })).sealedBody).toBeNull();
    await admin.expectError('CONFLICT', RETRY, { id: failed.documentId });
    expect(smtp.to(target.user.email)).toHaveLength(1);
  });
});
