import type { Core } from '@strapi/strapi';
import { today } from './dates';
import { platformRegistry } from './registry';
import { templates } from './templates';

/**
 * Printable pages (statements, letters) are inline-styled HTML that needs no script, no font, no frame and no form:
 * this Content-Security-Policy allows their inline styles and same-origin or inline images, and nothing else.
 */
export const PRINTABLE_PAGE_DIRECTIVES: ReadonlyArray<readonly [directive: string, ...sources: string[]]> = [
  ['default-src', "'none'"],
  ['style-src', "'unsafe-inline'"],
  ['img-src', "'self'", 'data:'],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'self'"],
];

/** The policy as a Content-Security-Policy header value (the platform sends it on every HTML response outside the admin panel). */
export const PRINTABLE_PAGE_CSP = PRINTABLE_PAGE_DIRECTIVES.map((d) => d.join(' ')).join('; ');

// A <meta> policy cannot carry frame-ancestors (browsers ignore it there and warn).
const META_CSP = PRINTABLE_PAGE_DIRECTIVES.filter(([name]) => name !== 'frame-ancestors')
  .map((d) => d.join(' '))
  .join('; ');

/**
 * A printable page that travels inside a JSON answer (a GraphQL `html` field) has no response headers of its own,
 * so the policy goes into the document: whoever opens it (a new window, a blob: URL, an iframe) runs no script from it.
 * The tag goes first in <head>, before anything the template wrote there.
 */
export function printablePage(html: string): string {
  const tag = `<meta http-equiv="Content-Security-Policy" content="${META_CSP}">`;
  const head = /<head\b[^>]*>/i.exec(html);
  if (head) return insertAt(html, head.index + head[0].length, tag);
  // Before a doctype the tag would switch the browser into quirks mode.
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  if (doctype) return insertAt(html, doctype[0].length, tag);
  return tag + html;
}

function insertAt(text: string, index: number, insert: string): string {
  return text.slice(0, index) + insert + text.slice(index);
}

/** Renders a printable page as a PDF (the platform does it with Chromium). */
export interface PdfPrinter {
  pdf(html: string, options: { footer: string }): Promise<Buffer>;
}

/**
 * The PDF of a printable page, A4, every page numbered "<footer> · page N / M". Whoever may read the
 * page may have its PDF: check that before calling. Refused with PDF_UNAVAILABLE when the machine
 * has no Chromium.
 */
export function printToPdf(strapi: Core.Strapi, html: string, options: { footer: string }): Promise<Buffer> {
  return platformRegistry(strapi).pdfPrinter().pdf(html, options);
}

export interface PrintedDocument {
  /** The document's number, printed in its head and at the foot of every PDF page. */
  number: string;
  /** The printable page (the 'print' layout), with its own script-forbidding policy. */
  html: string;
  /** Its A4 PDF. */
  pdf(): Promise<Buffer>;
}

/**
 * A template printed as a document: the 'print' layout (brand mark and name, title, number, date,
 * signature and seal where the template puts it), in `locale` or the brand's default. Whoever may
 * read the document may have it: check that before calling.
 */
export async function printDocument(
  strapi: Core.Strapi,
  template: string,
  input: { locale?: 'zh-CN' | 'en' | null; title: { 'zh-CN': string; en: string }; number: string; data: Record<string, unknown> },
): Promise<PrintedDocument> {
  const brand = await strapi.db.query('api::brand.brand' as any).findOne({});
  const locale = input.locale ?? brand?.defaultLocale ?? 'zh-CN';
  const zh = locale === 'zh-CN';
  // Handlebars escapes every value (names, references); the page's own policy forbids any script in it.
  const html = printablePage(
    templates(strapi).render(template, {
      locale,
      layout: 'print',
      data: { ...input.data, brandName: (zh ? brand?.nameZh : null) || brand?.name || null, documentTitle: input.title[zh ? 'zh-CN' : 'en'], documentNumber: input.number, issuedOn: today() },
    }).html,
  );
  return { number: input.number, html, pdf: () => printToPdf(strapi, html, { footer: input.number }) };
}
