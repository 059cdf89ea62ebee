import type { Core } from '@strapi/strapi';

export interface SendEmailInput {
  to: string;
  /** Template name, e.g. `dealers/welcome`; rendered in `locale` (falls back to the brand's default). */
  template: string;
  locale?: string;
  data: Record<string, unknown>;
  /** Which dealer this message concerns, so staff can filter the outbox by dealer. */
  dealerDocumentId?: string;
}

export interface OutboxMessage {
  documentId: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Null for e-mails Strapi sends itself (password reset, e-mail confirmation). */
  template: string | null;
  locale: string | null;
  status: 'sent' | 'failed' | 'not_sent';
  statusReason: string | null;
  sentAt: string | null;
}

export interface Notifications {
  /** Renders, stores in the outbox, then delivers when SMTP is configured. Never silently drops. */
  sendEmail(input: SendEmailInput): Promise<OutboxMessage>;
}

export function notifications(strapi: Core.Strapi): Notifications {
  return strapi.service('api::outbox-message.outbox-message') as unknown as Notifications;
}
