import type { Core } from '@strapi/strapi';
import { platformRegistry } from './registry';

export interface RenderedTemplate {
  name: string;
  locale: string;
  subject: string | null;
  html: string;
  text: string;
}

export interface TemplateRenderer {
  render(name: string, input: { locale?: string; data: Record<string, unknown> }): RenderedTemplate;
  list(): Array<{ name: string; locales: string[]; root: string }>;
  reload(): void;
}

/** The platform's Handlebars renderer (templates/ overrides plug-in defaults). */
export function templates(strapi: Core.Strapi): TemplateRenderer {
  return platformRegistry(strapi).templates();
}
