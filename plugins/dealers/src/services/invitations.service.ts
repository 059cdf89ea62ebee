import { createHash, randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, conflict, DEALER_PORTAL_ROLE, DEALER_ROLES, equalizePasswordFailure, inTransaction, notePasswordWork, notFound, notifications, parseInput, publicUrl, service } from '@channelflow/sdk';
import { DEALER } from './dealers.service';

export const INVITATION = 'plugin::dealers.invitation';
const VALID_DAYS = 7;

const inviteInput = z.object({
  dealerId: z.number().int().positive(),
  email: z.email().transform((e) => e.toLowerCase()),
  role: z.enum(DEALER_ROLES),
  invitedBy: z.string().min(1).max(200),
  inviterName: z.string().min(1).max(200),
});
const acceptInput = z.object({
  token: z.string().min(20).max(200),
  username: z.string().trim().min(3).max(100).optional(),
  password: z
    .string()
    .min(10, 'passwords have at least 10 characters')
    .max(72, 'passwords have at most 72 characters')
    .refine((p) => /[A-Za-z]/.test(p) && /\d/.test(p), 'passwords mix letters and digits'),
});

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Portal accounts come only from invitations: a dealer owner invites colleagues (and onboarding
 * invites a new dealer's owner). The e-mail carries a one-time token; only its hash is stored.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const invitations = () => strapi.db.query(INVITATION as any);

  return {
    async invite(raw: z.input<typeof inviteInput>) {
      const input = parseInput(inviteInput, raw, 'invitation');
      const dealer = await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } });
      if (!dealer) throw notFound('Dealer', input.dealerId);
      // Only the dealer's own users are named. Whether the address has an account elsewhere on the platform
      // (another dealer, staff) is not the inviter's to learn: that invitation is sent like any other and
      // its acceptance fails, telling only the address's owner.
      const colleagues: Array<{ email?: string }> = await service(strapi, 'dealers', 'portal-users').usersOf(dealer.id);
      if (colleagues.some((u) => u.email?.toLowerCase() === input.email)) {
        throw conflict(`${input.email} already is a portal user of ${dealer.name}`, { email: input.email });
      }
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(Date.now() + VALID_DAYS * 86_400_000);
      const base = publicUrl(strapi);
      // The replacement, the withdrawal of the pending invitation and the e-mail in the outbox commit together:
      // if the e-mail cannot be queued, the earlier link stays live.
      const invitation = await inTransaction(strapi, async () => {
        await invitations().updateMany({ where: { dealerId: dealer.id, email: input.email, acceptedAt: { $null: true }, revokedAt: { $null: true } }, data: { revokedAt: new Date() } });
        const created = await invitations().create({ data: { dealerId: dealer.id, email: input.email, role: input.role, tokenHash: hash(token), expiresAt, invitedBy: input.invitedBy } });
        await notifications(strapi).sendEmail({
          to: input.email,
          template: 'dealers/invitation',
          dealerDocumentId: dealer.documentId,
          data: {
            inviterName: input.inviterName,
            dealerName: dealer.name,
            dealerCode: dealer.code,
            role: input.role,
            expiresAt: expiresAt.toISOString(),
            acceptUrl: `${base}/portal/accept-invitation?token=${token}`,
          },
        });
        return created;
      });
      return toInvitation(invitation);
    },

    /** Creates the portal account the invitation names, linked to its dealer, and signs it in. */
    async accept(raw: z.input<typeof acceptInput>) {
      const input = parseInput(acceptInput, raw, 'invitation');
      // Every refusal costs a password hash, as an acceptance does: timing tells nothing about tokens or accounts.
      return equalizePasswordFailure(strapi, () => inTransaction(strapi, async () => {
        const invitation = await invitations().findOne({ where: { tokenHash: hash(input.token) } });
        const unusable = (why: string) => new ChannelflowError('INVITATION_INVALID', `This invitation ${why}; ask for a new one`);
        if (!invitation) throw unusable('does not exist');
        if (invitation.acceptedAt) throw unusable('has already been used');
        if (invitation.revokedAt) throw unusable('was withdrawn');
        if (new Date(invitation.expiresAt) <= new Date()) throw unusable('has expired');
        const users = strapi.db.query('plugin::users-permissions.user');
        const username = input.username ?? invitation.email;
        // A name that looks like an address must be the invitee's own: tasks and logins match names to e-mails.
        if (username.includes('@') && username !== invitation.email) throw new ChannelflowError('BAD_INPUT', 'A username with @ must be your own e-mail address', { issues: [{ path: 'username', message: 'not your e-mail' }] });
        if (await users.findOne({ where: { $or: [{ email: invitation.email }, { username }, { email: username }] } })) {
          throw conflict(`An account with the e-mail ${invitation.email} or the username ${username} already exists`);
        }
        // Only one acceptance can win: the update counts the invitation still open.
        const taken = await invitations().updateMany({ where: { id: invitation.id, acceptedAt: { $null: true } }, data: { acceptedAt: new Date() } });
        if (!taken.count) throw unusable('has already been used');
        const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: DEALER_PORTAL_ROLE } });
        notePasswordWork();
        const user = await strapi.plugin('users-permissions').service('user').add({
          username,
          email: invitation.email,
          password: input.password,
          provider: 'local',
          confirmed: true,
          blocked: false,
          role: role.id,
        });
        await service(strapi, 'dealers', 'portal-users').link({ userId: user.id, dealerId: invitation.dealerId, role: invitation.role });
        await invitations().update({ where: { id: invitation.id }, data: { acceptedUserId: user.id } });
        return { jwt: strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string, email: invitation.email, role: invitation.role };
      }));
    },

    async revoke(dealerId: number, invitationId: number) {
      const invitation = await invitations().findOne({ where: { id: invitationId, dealerId } });
      if (!invitation) throw notFound('Invitation', invitationId);
      if (invitation.acceptedAt) throw conflict('This invitation has already been accepted; remove the user instead');
      return toInvitation(invitation.revokedAt ? invitation : await invitations().update({ where: { id: invitation.id }, data: { revokedAt: new Date() } }));
    },

    async listFor(dealerId: number) {
      return (await invitations().findMany({ where: { dealerId }, orderBy: [{ id: 'desc' }] })).map(toInvitation);
    },
  };
};

function toInvitation(i: any) {
  const status = i.acceptedAt ? 'accepted' : i.revokedAt ? 'revoked' : new Date(i.expiresAt) <= new Date() ? 'expired' : 'pending';
  return { id: i.id, email: i.email, role: i.role, status, invitedBy: i.invitedBy, expiresAt: new Date(i.expiresAt).toISOString(), createdAt: i.createdAt ? new Date(i.createdAt).toISOString() : null };
}
