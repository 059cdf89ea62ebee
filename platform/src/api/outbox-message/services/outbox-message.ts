import { factories } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, parseInput, templates, type OutboxMessage, type SendEmailInput } from '@channelflow/sdk';
import { NOT_SENT_NO_SMTP, smtpConfigured } from '../../../notify/smtp';

const UID = 'api::outbox-message.outbox-message';

const sendEmailInput = z.object({
  to: z.email(),
  template: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'template names look like <domain>/<name>'),
  locale: z.enum(['zh-CN', 'en']).optional(),
  data: z.record(z.string(), z.unknown()),
  dealerDocumentId: z.string().optional(),
});

export default factories.createCoreService(UID, ({ strapi }) => ({
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
    const message = await strapi.db.query(UID).create({
      data: {
        to: input.to,
        subject: rendered.subject ?? input.template,
        html: rendered.html,
        text: rendered.text,
        template: input.template,
        locale: rendered.locale,
        status: smtpConfigured() ? 'queued' : 'not_sent',
        statusReason: smtpConfigured() ? null : NOT_SENT_NO_SMTP,
        dealerDocumentId: input.dealerDocumentId ?? null,
      },
    });
    if (!smtpConfigured()) return message as OutboxMessage;

    try {
      await strapi.plugin('email').service('email').send({
        to: message.to,
        subject: message.subject,
        html: message.html,
        text: message.text,
      });
      return (await strapi.db.query(UID).update({
        where: { id: message.id },
        data: { status: 'sent', statusReason: null, sentAt: new Date() },
      })) as OutboxMessage;
    } catch (error: any) {
      strapi.log.warn(`e-mail ${message.documentId} to ${message.to} failed: ${error.message}`);
      return (await strapi.db.query(UID).update({
        where: { id: message.id },
        data: { status: 'failed', statusReason: `SMTP delivery failed: ${String(error.message).slice(0, 200)}` },
      })) as OutboxMessage;
    }
  },
}));
