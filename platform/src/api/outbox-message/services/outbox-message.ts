import { factories } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, paginate, parseInput, templates, type OutboxMessage, type SendEmailInput, type StaffActor } from '@channelflow/sdk';
import { outboxOf, type OutboxMeta } from '../../../notify/outbox-provider';

const UID = 'api::outbox-message.outbox-message';

const sendEmailInput = z.object({
  to: z.email(),
  template: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'template names look like <domain>/<name>'),
  locale: z.enum(['zh-CN', 'en']).optional(),
  data: z.record(z.string(), z.unknown()),
  dealerDocumentId: z.string().optional(),
});

export const outboxFilter = z.object({
  status: z.enum(['queued', 'sent', 'failed', 'not_sent']).optional(),
  to: z.string().max(200).optional(),
});

export default factories.createCoreService(UID, ({ strapi }) => ({
  /**
   * Newest first, for staff. E-mails to the brand's own people (staff logins, admin-panel users) are
   * listed to platform admins only: whoever else was granted the outbox sees the dealers' and
   * applicants' mail, never a colleague's.
   */
  async list(raw: z.input<typeof outboxFilter>, page: { page: number; pageSize: number }, actor: StaffActor) {
    const { status, to } = parseInput(outboxFilter, raw, 'outbox filter');
    const platformAdmin = actor.kind === 'user' && actor.role === 'platform-admin';
    const where = { ...(status ? { deliveryStatus: status } : {}), ...(to ? { to: { $containsi: to } } : {}), ...(platformAdmin ? {} : { toStaff: false }) };
    return paginate(strapi, UID, { where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }, page);
  },

  /**
   * The e-mails to `to` as their recipient gets them, secrets included, newest first: for tests and
   * server-side tooling only, never exposed over an API. A delivered secret e-mail reads null.
   */
  async deliveredTo(to: string, where: Record<string, unknown> = {}) {
    const rows = await strapi.db.query(UID).findMany({ where: { to, ...where }, orderBy: [{ id: 'desc' }] });
    return rows.map((row: any) => ({ ...row, sealedBody: undefined, delivered: outboxOf(strapi).deliveredBody(row) }));
  },

  /** Delivers a failed or unsent e-mail again (its secret, if any, from the sealed copy). */
  async retry(documentId: string): Promise<OutboxMessage> {
    return toOutboxMessage(await outboxOf(strapi).retry(documentId));
  },

  async sendEmail(raw: SendEmailInput): Promise<OutboxMessage> {
    const input = parseInput(sendEmailInput, raw, 'e-mail');
    const brand = await strapi.db.query('api::brand.brand').findOne({});
    let rendered;
    try {
      rendered = templates(strapi).render(input.template, {
        locale: input.locale ?? brand?.defaultLocale ?? 'zh-CN',
        data: { brandName: brand?.name ?? null, ...input.data },
      });
    } catch (error: any) {
      // A broken template must not turn into a blank letter: refuse, naming the template.
      throw new ChannelflowError('TEMPLATE_ERROR', `E-mail ${input.template} could not be rendered: ${error.message}`, {
        template: input.template,
        reason: error.code ?? 'TEMPLATE_RENDER_FAILED',
      });
    }
    // The e-mail plug-in's provider (notify/outbox-provider.ts) stores it, then delivers it.
    try {
      return toOutboxMessage(await strapi.plugin('email').service('email').send({
        to: input.to,
        subject: rendered.subject ?? input.template,
        html: rendered.html,
        text: rendered.text,
        channelflow: {
          template: input.template,
          locale: rendered.locale,
          dealerDocumentId: input.dealerDocumentId,
          redacted: rendered.redacted,
        } satisfies OutboxMeta,
      }));
    } catch (error: any) {
      if (error?.outboxMessage) return toOutboxMessage(error.outboxMessage);
      throw error;
    }
  },
}));

/** A stored row as the SDK's OutboxMessage: the row keeps its delivery status as `deliveryStatus` (Strapi 5 reserves `status`). */
const toOutboxMessage = (row: any): OutboxMessage => ({ ...row, status: row.deliveryStatus });
