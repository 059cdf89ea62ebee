import type { Core } from '@strapi/strapi';
import { ChannelflowError, conflict, notFound, platformRegistry } from '@channelflow/sdk';
import { htmlToText } from '../templates/html-to-text';
import { redactBody, sameBody } from './redact';
import type { MailBody, Sealer } from './sealed-body';
import { NOT_SENT_NO_SMTP } from './smtp';
import { dispatcherOf, putEffect } from '../outbox';

const emailKey = (id: number) => `email:${id}`;

const OUTBOX = 'api::outbox-message.outbox-message';

interface EmailProvider {
  send(options: Record<string, unknown>): Promise<unknown>;
}

/** What the platform's own e-mails add to Strapi's send options, so staff can trace them. */
export interface OutboxMeta {
  template?: string;
  locale?: string;
  dealerDocumentId?: string;
  /** The rendered template's readable copy when the e-mail carries a secret (see the `secret` helper). */
  redacted?: { subject: string | null; html: string; text: string } | null;
}

export interface Outbox extends EmailProvider {
  /** Delivers a failed or never-sent message again, with its secret (from the sealed copy) intact. */
  retry(documentId: string): Promise<unknown>;
  /** The outbox dispatcher's delivery of a stored e-mail; throws on an SMTP failure (the message reads failed meanwhile). */
  deliverStored(id: number): Promise<Record<string, unknown>>;
  /** What was (or is to be) delivered; null for a delivered secret e-mail, whose sealed copy is gone. Server-side only. */
  deliveredBody(message: { carriesSecret?: boolean | null; sealedBody?: string | null; subject: string; html: string; text: string }): MailBody | null;
}

const outboxes = new WeakMap<Core.Strapi, Outbox>();

/** This platform's outbox (installed in bootstrap). */
export function outboxOf(strapi: Core.Strapi): Outbox {
  const outbox = outboxes.get(strapi);
  if (!outbox) throw new Error('the outbox is not installed yet');
  return outbox;
}

/**
 * Wraps Strapi's e-mail provider so that every e-mail, ours and Strapi's own (password
 * reset, e-mail confirmation), is stored in the outbox before delivery. `delivery` is the
 * SMTP provider, or null when no SMTP server is configured.
 *
 * An e-mail that carries a secret (a reset code, an invitation or answer link) is stored readable
 * only with the secret shown as [redacted]; what is delivered is kept sealed (sealed-body.ts) until
 * it has been delivered, so a failed delivery can be retried and nobody reading the outbox can
 * take over the account the secret opens.
 */
export function installOutbox(strapi: Core.Strapi, delivery: EmailProvider | null, sealer: Sealer): Outbox {
  const inMemory = new Map<number, Record<string, unknown>>();
  const outbox: Outbox = {
    async send({ channelflow, ...options }: Record<string, unknown>) {
      const meta = (channelflow ?? {}) as OutboxMeta;
      const to = String(options.to);
      const html = typeof options.html === 'string' ? options.html : escapeHtml(String(options.text ?? ''));
      const delivered: MailBody = { subject: String(options.subject ?? ''), html, text: typeof options.text === 'string' ? options.text : htmlToText(html) };
      const readable = await readableCopy(strapi, to, delivered, meta);
      const secret = !sameBody(readable, delivered);
      const message = await strapi.db.query(OUTBOX).create({
        data: {
          to,
          ...readable,
          sealedBody: secret ? sealer.seal(delivered) : null,
          carriesSecret: secret,
          toStaff: await isStaffAddress(strapi, to),
          template: meta.template ?? null,
          locale: meta.locale ?? null,
          dealerDocumentId: meta.dealerDocumentId ?? null,
          deliveryStatus: delivery ? 'queued' : 'not_sent',
          statusReason: delivery ? null : NOT_SENT_NO_SMTP,
        },
      });
      if (!delivery) return message;
      remember(message.id, options);
      // One effect of the platform outbox: in a transaction it is delivered after the commit (a rollback
      // sends nothing, a slow SMTP server never holds the transaction open, a crash loses nothing);
      // outside one, now.
      const inTransaction = strapi.db.inTransaction();
      await putEffect(strapi, 'email', emailKey(message.id), { messageId: message.id });
      if (inTransaction) return message;
      const after = await strapi.db.query(OUTBOX).findOne({ where: { id: message.id } });
      if (after?.deliveryStatus === 'failed') throw Object.assign(new Error(after.statusReason), { outboxMessage: after });
      return after ?? message;
    },

    async retry(documentId: string) {
      const message = await strapi.db.query(OUTBOX).findOne({ where: { documentId } });
      if (!message) throw notFound('Outbox message', documentId);
      if (message.deliveryStatus === 'sent' || message.deliveryStatus === 'queued') throw conflict(`Outbox message ${documentId} is ${message.deliveryStatus}; only failed or unsent e-mails are retried`);
      if (!delivery) throw new ChannelflowError('NOT_SUPPORTED', 'No SMTP server is configured (SMTP_HOST), so the e-mail cannot be delivered');
      const body = outbox.deliveredBody(message);
      if (!body) {
        throw conflict(`Outbox message ${documentId} carries a secret whose sealed copy cannot be opened (none kept, or ENCRYPTION_KEY changed): have it sent anew`);
      }
      await strapi.db.query(OUTBOX).update({ where: { id: message.id }, data: { deliveryStatus: 'queued', statusReason: null } });
      // Through the outbox like every delivery, so its dispatcher never sends it a second time.
      if (!(await dispatcherOf(strapi).reschedule(emailKey(message.id)))) await putEffect(strapi, 'email', emailKey(message.id), { messageId: message.id });
      else await dispatcherOf(strapi).settle(emailKey(message.id), 0);
      return strapi.db.query(OUTBOX).findOne({ where: { id: message.id } });
    },

    async deliverStored(id: number) {
      const message = await strapi.db.query(OUTBOX).findOne({ where: { id } });
      if (!message) return { missing: true };
      if (message.deliveryStatus === 'sent' || message.deliveryStatus === 'not_sent' || !delivery) return { status: message.deliveryStatus };
      // This process queued it: Strapi's own send options (from, reply-to) as given. Otherwise the stored copy.
      const options = inMemory.get(id) ?? (() => {
        const body = outbox.deliveredBody(message);
        return body ? { to: message.to, ...body } : null;
      })();
      if (!options) {
        await strapi.db.query(OUTBOX).update({ where: { id }, data: { deliveryStatus: 'failed', statusReason: 'the sealed copy of this secret e-mail cannot be opened (ENCRYPTION_KEY changed or unset): have it sent anew' } });
        return { status: 'failed' };
      }
      await deliver(delivery, id, options);
      inMemory.delete(id);
      return { status: 'sent' };
    },

    deliveredBody(message) {
      return message.carriesSecret ? sealer.open(message.sealedBody) : { subject: message.subject, html: message.html, text: message.text };
    },
  };
  outboxes.set(strapi, outbox);
  return outbox;

  function remember(id: number, options: Record<string, unknown>) {
    inMemory.set(id, options);
    // Bounded: an e-mail whose transaction rolled back is never delivered, so never forgotten otherwise.
    if (inMemory.size > 1000) inMemory.delete(inMemory.keys().next().value!);
  }

  async function deliver(delivery: EmailProvider, id: number, options: Record<string, unknown>) {
    try {
      await delivery.send(options);
    } catch (error: any) {
      const reason = `SMTP delivery failed: ${String(error?.message ?? error).slice(0, 200)}`;
      const failed = await strapi.db.query(OUTBOX).update({ where: { id }, data: { deliveryStatus: 'failed', statusReason: reason } });
      throw Object.assign(new Error(reason), { outboxMessage: failed });
    }
    // Delivered: the sealed copy has done its job and goes.
    return strapi.db.query(OUTBOX).update({ where: { id }, data: { deliveryStatus: 'sent', sentAt: new Date(), sealedBody: null } });
  }
}

/** E-mails queued before the outbox had its dispatcher (or by a build that crashed before delivering them): queued for it now. */
export async function requeueStranded(strapi: Core.Strapi): Promise<void> {
  const stranded: Array<{ id: number }> = await strapi.db.query(OUTBOX).findMany({ where: { deliveryStatus: 'queued' }, select: ['id'], limit: 10_000 });
  for (const { id } of stranded) await dispatcherOf(strapi).write(strapi.db.connection as any, 'email', emailKey(id), { messageId: id });
}

/**
 * The copy staff may read. A template says itself which parts are secret; Strapi's own e-mails
 * (password reset, e-mail confirmation, admin invitations) do not, so the recipient's pending
 * tokens are looked up and blanked wherever they appear, and so is any token-looking link parameter.
 */
async function readableCopy(strapi: Core.Strapi, to: string, delivered: MailBody, meta: OutboxMeta): Promise<MailBody> {
  if (meta.redacted) {
    return redactBody({ subject: meta.redacted.subject ?? delivered.subject, html: meta.redacted.html, text: meta.redacted.text }, []);
  }
  return redactBody(delivered, meta.template ? [] : await pendingTokens(strapi, to));
}

/** One-time tokens users-permissions and the admin panel hold for this address (the secrets their e-mails carry). */
export async function pendingTokens(strapi: Core.Strapi, to: string): Promise<string[]> {
  const email = to.toLowerCase();
  const [user, admin] = await Promise.all([
    strapi.db.query('plugin::users-permissions.user').findOne({ where: { email }, select: ['resetPasswordToken', 'confirmationToken'] }),
    strapi.db.query('admin::user').findOne({ where: { email }, select: ['resetPasswordToken', 'registrationToken'] }),
  ]);
  return [user?.resetPasswordToken, user?.confirmationToken, admin?.resetPasswordToken, admin?.registrationToken].filter(Boolean);
}

/** A brand employee's address (a staff login or an admin-panel user): their mail is for platform admins' eyes only. */
export async function isStaffAddress(strapi: Core.Strapi, to: string): Promise<boolean> {
  const email = to.toLowerCase();
  const [user, admin] = await Promise.all([
    strapi.db.query('plugin::users-permissions.user').findOne({ where: { email }, select: ['id'], populate: { role: { select: ['type'] } } }),
    strapi.db.query('admin::user').findOne({ where: { email }, select: ['id'] }),
  ]);
  return Boolean(admin) || platformRegistry(strapi).isStaffRole(user?.role?.type);
}

function escapeHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<pre style="font-family:inherit;white-space:pre-wrap">${escaped}</pre>`;
}
