import type { Core } from '@strapi/strapi';
import { platformRegistry } from './registry';

export interface RenderedTemplate {
  name: string;
  locale: string;
  subject: string | null;
  html: string;
  text: string;
  /** The copy the outbox keeps readable when the e-mail carries a secret (each shown as [redacted]); null otherwise. */
  redacted: { subject: string | null; html: string; text: string } | null;
}

export interface TemplateRenderer {
  /** `layout` overrides the template's own (e.g. 'print' for an e-mailed letter printed as a document). */
  render(name: string, input: { locale?: string; data: Record<string, unknown>; layout?: string }): RenderedTemplate;
  list(): Array<{ name: string; locales: string[]; root: string }>;
  reload(): void;
}

/** The platform's Handlebars renderer (templates/ overrides plug-in defaults). */
export function templates(strapi: Core.Strapi): TemplateRenderer {
  return platformRegistry(strapi).templates();
}
