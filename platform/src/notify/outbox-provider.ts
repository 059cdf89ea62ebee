import type { Core } from '@strapi/strapi';
import { htmlToText } from '../templates/html-to-text';
import { NOT_SENT_NO_SMTP } from './smtp';

const OUTBOX = 'api::outbox-message.outbox-message';

interface EmailProvider {
  send(options: Record<string, unknown>): Promise<unknown>;
}

/** What the platform's own e-mails add to Strapi's send options, so staff can trace them. */
export interface OutboxMeta {
  template?: string;
  locale?: string;
  dealerDocumentId?: string;
}

/**
 * Wraps Strapi's e-mail provider so that every e-mail, ours and Strapi's own (password
 * reset, e-mail confirmation), is stored in the outbox before delivery. `delivery` is the
 * SMTP provider, or null when no SMTP server is configured.
 */
export function outboxProvider(strapi: Core.Strapi, delivery: EmailProvider | null): EmailProvider {
  return {
    async send({ channelflow, ...options }: Record<string, unknown>) {
      const meta = (channelflow ?? {}) as OutboxMeta;
      const html = typeof options.html === 'string' ? options.html : escapeHtml(String(options.text ?? ''));
      const message = await strapi.db.query(OUTBOX).create({
        data: {
          to: String(options.to),
          subject: String(options.subject ?? ''),
          html,
          text: typeof options.text === 'string' ? options.text : htmlToText(html),
          template: meta.template ?? null,
          locale: meta.locale ?? null,
          dealerDocumentId: meta.dealerDocumentId ?? null,
          status: delivery ? 'queued' : 'not_sent',
          statusReason: delivery ? null : NOT_SENT_NO_SMTP,
        },
      });
      if (!delivery) return message;
      if (strapi.db.inTransaction()) {
        // Queued with the caller's writes: delivered once they commit, so a rollback sends nothing
        // and a slow SMTP server never holds the transaction open.
        await strapi.db.transaction(async ({ onCommit }) => {
          onCommit(() => {
            deliver(delivery, message.id, options).catch((error: Error) => strapi.log.warn(`outbox message ${message.documentId}: ${error.message}`));
          });
        });
        return message;
      }
      return deliver(delivery, message.id, options);
    },
  };

  async function deliver(delivery: EmailProvider, id: number, options: Record<string, unknown>) {
    try {
      await delivery.send(options);
    } catch (error: any) {
      const reason = `SMTP delivery failed: ${String(error?.message ?? error).slice(0, 200)}`;
      const failed = await strapi.db.query(OUTBOX).update({ where: { id }, data: { status: 'failed', statusReason: reason } });
      throw Object.assign(new Error(reason), { outboxMessage: failed });
    }
    return strapi.db.query(OUTBOX).update({ where: { id }, data: { status: 'sent', sentAt: new Date() } });
  }
}

function escapeHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<pre style="font-family:inherit;white-space:pre-wrap">${escaped}</pre>`;
}
