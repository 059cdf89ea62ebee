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
  /** The one-time token, read from the invitation e-mail in the outbox as the invitee would. */
  const tokenSentTo = async (email: string) => {
    const [mail] = await env.strapi.db.query('api::outbox-message.outbox-message').findMany({ where: { to: email, template: 'dealers/invitation' }, orderBy: { id: 'desc' }, limit: 1 });
    // The link sits in an href, HTML-escaped as mail clients expect (= is &#x3D;).
    const token = /accept-invitation\?token(?:=|&#x3D;)([A-Za-z0-9_-]+)/.exec(mail?.html ?? '')?.[1];
    if (!token) throw new Error(`no invitation e-mail to ${email}`);
    return token;
  };
  const users = () => env.strapi.db.query('plugin::users-permissions.user').count({});

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

  it('keeps dealers apart and refuses addresses that already have an account', async () => {
    const ownerB = await env.asDealer(b, 'owner');
    const { inviteDealerUser: invitation } = await ownerA.query(INVITE, { email: 'viewer.qian@example.com', role: 'viewer' });
    expect((await ownerB.query(LIST)).myDealerInvitations).toEqual([]);
    await ownerB.expectError('NOT_FOUND', REVOKE, { id: invitation.id });
    expect((await ownerA.query(LIST)).myDealerInvitations.find((i: any) => i.id === invitation.id).status).toBe('pending');
    const taken = await ownerB.expectError('CONFLICT', INVITE, { email: ownerA.user.email, role: 'buyer' });
    expect(taken.message).toContain('already has an account');
    await ownerA.expectError('BAD_INPUT', INVITE, { email: 'not-an-address', role: 'buyer' });
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
