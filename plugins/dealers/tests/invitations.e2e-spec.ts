import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const INVITE = 'mutation ($email: String!, $role: DealerPortalRole!) { inviteDealerUser(email: $email, role: $role) { id email role status } }';
const REVOKE = 'mutation ($id: ID!) { revokeDealerInvitation(id: $id) { id status } }';
const LIST = '{ myDealerInvitations { id email role status } }';
const ACCEPT = 'mutation ($token: String!, $username: String, $password: String!) { acceptDealerInvitation(token: $token, username: $username, password: $password) { jwt email role } }';
const MY_DEALER = '{ myDealer { myRole dealer { code } } }';

describe('dealer portal invitations', () => {
  let env: TestEnvironment;
  let a: DealerRef;
  let b: DealerRef;
  let ownerA: GraphqlClient & { user: { email: string } };
  /** The one-time token, read from the invitation e-mail as the invitee receives it. */
  const tokenSentTo = async (email: string) => {
    const [mail] = await env.mailbox(email, 'dealers/invitation');
    // The link sits in an href, HTML-escaped as mail clients expect (= is &#x3D;).
    const token = /accept-invitation\?token(?:=|&#x3D;)([A-Za-z0-9_-]+)/.exec(mail?.html ?? '')?.[1];
    if (!token) throw new Error(`no invitation e-mail to ${email}`);
    return token;
  };
  const users = () => env.strapi.db.query('plugin::users-permissions.user').count({});
  const acceptDirectly = (token: string) => env.strapi.plugin('dealers').service('invitations').accept({ token, password: 'Spring-2026-pass' });

  beforeAll(async () => {
    env = await createTestEnvironment();
    [a, b] = [await env.createDealer(), await env.createDealer()];
    ownerA = await env.asDealer(a, 'owner');
  });
  afterAll(() => env?.destroy());

  it('an owner invites a colleague, who accepts once from the e-mailed link and then works for that dealer only', async () => {
    const { inviteDealerUser } = await ownerA.query(INVITE, { email: 'Buyer.Li@Example.com', role: 'buyer' });
    expect(inviteDealerUser).toMatchObject({ email: 'buyer.li@example.com', role: 'buyer', status: 'pending' });
    const token = await tokenSentTo('buyer.li@example.com');

    const { acceptDealerInvitation: accepted } = await env.anonymous.query(ACCEPT, { token, password: 'Spring-2026-pass' });
    expect(accepted).toMatchObject({ email: 'buyer.li@example.com', role: 'buyer' });
    const colleague = new GraphqlClient(`${env.baseUrl}/graphql`, accepted.jwt);
    expect((await colleague.query(MY_DEALER)).myDealer).toEqual({ myRole: 'buyer', dealer: { code: a.code } });
    const login = await env.anonymous.query('mutation ($i: String!, $p: String!) { login(input: { identifier: $i, password: $p }) { jwt } }', { i: 'buyer.li@example.com', p: 'Spring-2026-pass' });
    expect(login.login.jwt).toBeTruthy();

    const used = await env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token, password: 'Spring-2026-pass' });
    expect(used.message).toContain('already been used');
    expect((await ownerA.query(LIST)).myDealerInvitations).toEqual([expect.objectContaining({ email: 'buyer.li@example.com', status: 'accepted' })]);
    // A buyer may not invite; nor may the new colleague reach the owner's list.
    await colleague.expectError('FORBIDDEN', INVITE, { email: 'x@example.com', role: 'viewer' });
    await colleague.expectError('FORBIDDEN', LIST);
  });

  it('refuses weak passwords, unknown, withdrawn and expired tokens, and writes no account', async () => {
    const before = await users();
    await ownerA.query(INVITE, { email: 'finance.wu@example.com', role: 'finance' });
    const token = await tokenSentTo('finance.wu@example.com');
    await env.anonymous.expectError('BAD_INPUT', ACCEPT, { token, password: 'short1' });
    await env.anonymous.expectError('BAD_INPUT', ACCEPT, { token, password: 'onlyletters-no-digits' });
    await env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token: 'x'.repeat(43), password: 'Spring-2026-pass' });
    const impostor = await env.anonymous.expectError('BAD_INPUT', ACCEPT, { token, username: ownerA.user.email, password: 'Spring-2026-pass' });
    expect(impostor.message).toContain('must be your own e-mail');

    const { inviteDealerUser: second } = await ownerA.query(INVITE, { email: 'finance.wu@example.com', role: 'finance' }); // replaces the first
    const withdrawn = await env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token, password: 'Spring-2026-pass' });
    expect(withdrawn.message).toContain('withdrawn');
    const newer = await tokenSentTo('finance.wu@example.com');
    expect((await ownerA.query(REVOKE, { id: second.id })).revokeDealerInvitation.status).toBe('revoked');
    await env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token: newer, password: 'Spring-2026-pass' });

    await ownerA.query(INVITE, { email: 'late.zhao@example.com', role: 'viewer' });
    const late = await tokenSentTo('late.zhao@example.com');
    await env.strapi.db.query('plugin::dealers.invitation').updateMany({ where: { email: 'late.zhao@example.com' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await env.anonymous.expectError('INVITATION_INVALID', ACCEPT, { token: late, password: 'Spring-2026-pass' })).message).toContain('expired');
    expect(await users()).toBe(before);
  });

  it('keeps dealers apart', async () => {
    const ownerB = await env.asDealer(b, 'owner');
    const { inviteDealerUser: invitation } = await ownerA.query(INVITE, { email: 'viewer.qian@example.com', role: 'viewer' });
    expect((await ownerB.query(LIST)).myDealerInvitations).toEqual([]);
    await ownerB.expectError('NOT_FOUND', REVOKE, { id: invitation.id });
    expect((await ownerA.query(LIST)).myDealerInvitations.find((i: any) => i.id === invitation.id).status).toBe('pending');
    await ownerA.expectError('BAD_INPUT', INVITE, { email: 'not-an-address', role: 'buyer' });
  });

  it("does not tell an owner that an address has an account elsewhere: it is invited like any other, and accepting fails", async () => {
    const ownerB = await env.asDealer(b, 'owner');
    const staff = await env.asStaff('finance');
    const before = await users();
    const { inviteDealerUser: unknown } = await ownerB.query(INVITE, { email: 'nobody.yet@example.com', role: 'buyer' });
    for (const email of [ownerA.user.email, staff.user.email]) {
      const { inviteDealerUser: elsewhere } = await ownerB.query(INVITE, { email, role: 'buyer' });
      // The same answer as for an address nobody uses.
      expect({ ...elsewhere, id: null, email: null }).toEqual({ ...unknown, id: null, email: null });
      // Accepted through the service: the public mutation's per-address limit is spent by the tests above.
      const refused = await acceptDirectly(await tokenSentTo(email)).then(() => null, (error: any) => error);
      expect(refused).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('already exists') });
    }
    expect(await users()).toBe(before);
    expect((await ownerA.query(MY_DEALER)).myDealer.dealer.code).toBe(a.code);
    const usersOfB = (await ownerB.query('{ myDealer { users { email } } }')).myDealer.users.map((u: any) => u.email);
    expect(usersOfB).toContain(ownerB.user.email);
    expect(usersOfB).not.toContain(ownerA.user.email);
    expect(usersOfB).not.toContain(staff.user.email);
  });

  it("tells the owner when the address already is one of their own dealer's users, and writes nothing", async () => {
    const buyerA = await env.asDealer(a, 'buyer');
    const invitations = () => env.strapi.db.query('plugin::dealers.invitation').count({ where: { dealerId: a.id } });
    const mails = () => env.strapi.db.query('api::outbox-message.outbox-message').count({ where: { to: buyerA.user.email } });
    const before = await invitations();
    const own = await ownerA.expectError('CONFLICT', INVITE, { email: buyerA.user.email.toUpperCase(), role: 'finance' });
    expect(own.message).toContain('already is a portal user');
    expect(await invitations()).toBe(before);
    expect(await mails()).toBe(0);
  });

  it('withdraws the pending invitation only together with queueing the new e-mail: if that fails, the earlier link still works', async () => {
    await ownerA.query(INVITE, { email: 'resend.sun@example.com', role: 'viewer' });
    const first = await tokenSentTo('resend.sun@example.com');
    const rows = () => env.strapi.db.query('plugin::dealers.invitation').findMany({ where: { email: 'resend.sun@example.com' } });
    // The outbox cannot take the e-mail (its table is briefly away): a real database failure, no stand-in.
    const knex = env.strapi.db.connection;
    await knex.schema.renameTable('outbox_messages', 'outbox_messages_away');
    let failed;
    try {
      failed = await ownerA.request(INVITE, { email: 'resend.sun@example.com', role: 'finance' });
    } finally {
      await knex.schema.renameTable('outbox_messages_away', 'outbox_messages');
    }
    expect(failed.errors?.length).toBeGreaterThan(0);
    expect((await rows()).map((r: any) => [r.role, r.revokedAt])).toEqual([['viewer', null]]);
    expect(await acceptDirectly(first)).toMatchObject({ email: 'resend.sun@example.com', role: 'viewer' });
  });

  it('limits invitations per dealer to 20 an hour; the refused one writes nothing, and other dealers are not held back', async () => {
    const [c, d] = [await env.createDealer(), await env.createDealer()];
    const [ownerC, ownerD] = [await env.asDealer(c, 'owner'), await env.asDealer(d, 'owner')];
    const written = (dealerId: number) => env.strapi.db.query('plugin::dealers.invitation').count({ where: { dealerId } });
    for (let i = 0; i < 20; i += 1) await ownerC.query(INVITE, { email: `bulk-${i}@example.com`, role: 'viewer' });
    // A second owner of the same dealer shares its allowance.
    const secondOwnerC = await env.asDealer(c, 'owner');
    const limited = await secondOwnerC.expectError('RATE_LIMITED', INVITE, { email: 'bulk-20@example.com', role: 'viewer' });
    expect(limited.message).toMatch(/try again in \d+ s/);
    expect(await written(c.id)).toBe(20);
    expect(await env.strapi.db.query('api::outbox-message.outbox-message').count({ where: { to: 'bulk-20@example.com' } })).toBe(0);
    expect((await ownerD.query(INVITE, { email: 'bulk-20@example.com', role: 'viewer' })).inviteDealerUser.status).toBe('pending');
    expect(await written(d.id)).toBe(1);
  });

  it('limits attempts per address', async () => {
    let refused: { code?: string } | null = null;
    for (let i = 0; i < 12 && !refused; i += 1) {
      const res = await env.anonymous.request(ACCEPT, { token: `nonexistent-token-${i}-xxxxxxxxxxxx`, password: 'Spring-2026-pass' });
      const code = res.errors?.[0]?.extensions?.code as string | undefined;
      if (code === 'RATE_LIMITED') refused = { code };
    }
    expect(refused).toEqual({ code: 'RATE_LIMITED' });
  });
});
