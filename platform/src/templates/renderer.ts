import path from 'node:path';
import Handlebars from 'handlebars';
import { REDACTED, registerHelpers, type RenderFrame } from './helpers';
import { htmlToText } from './html-to-text';
import { createTranslator } from './i18n';
import { canonicalLocale, scanTemplateRoots, type TemplateCatalog } from './template-catalog';
import { createTemplateCompiler, errorOrigin, shiftLineNumbers, type RenderFn } from './template-compiler';
import { InvalidSourceError, TemplateError } from './template-error';

export { TemplateError } from './template-error';

export interface TemplateRendererOptions {
  /** Template directories; EARLIER roots win (root 0 is the admin-editable repo templates/ dir, later ones are plug-in defaults). */
  roots: string[];
  /** 'zh-CN' when omitted. */
  defaultLocale?: string;
  /** 'Asia/Shanghai' when omitted; used by the date helper. */
  timeZone?: string;
}

export interface RenderedTemplate {
  name: string;
  locale: string;
  subject: string | null;
  html: string;
  text: string;
  /**
   * Set when the e-mail carries a secret (`{{secret …}}` in it, or `secret: true` in its front
   * matter): the copy anyone may read later, with every secret shown as [redacted].
   */
  redacted: { subject: string | null; html: string; text: string } | null;
}

/** Everything derived from the roots; dropped as a whole by reload(). */
interface Session {
  catalog: TemplateCatalog;
  compiler: ReturnType<typeof createTemplateCompiler>;
}

/**
 * Renders `<root>/<domain>/<name>.<locale>.hbs` e-mail templates with strict Handlebars:
 * a variable the data lacks is an error (TEMPLATE_MISSING_VARIABLE), never a blank in a customer's inbox.
 */
export function createTemplateRenderer(opts: TemplateRendererOptions) {
  const roots = opts.roots.map((root) => path.resolve(root));
  const defaultLocale = canonicalLocale(opts.defaultLocale ?? 'zh-CN') ?? invalidOption('defaultLocale', opts.defaultLocale);
  const timeZone = opts.timeZone ?? 'Asia/Shanghai';
  // Fail at start-up, not on the first e-mail, when the zone is misspelt.
  if (!isTimeZone(timeZone)) invalidOption('timeZone', timeZone);

  let session: Session | null = null;
  const translator = createTranslator((locale) => current().catalog.messages.get(locale) ?? [], defaultLocale);

  function current(): Session {
    if (session) return session;
    const catalog = scanTemplateRoots(roots);
    // An isolated instance: plug-ins' helpers and partials never leak into, or out of, the global Handlebars.
    const hb = Handlebars.create();
    const compiler = createTemplateCompiler(hb);
    registerHelpers(hb, translator.translate);
    for (const [name, file] of catalog.partials) {
      // Resolved at call time so an edited partial is recompiled (by mtime) without reload().
      const partial: RenderFn = (context, options) => compiler.plain(file)(context, options);
      hb.registerPartial(name, partial as Handlebars.TemplateDelegate);
    }
    session = { catalog, compiler };
    return session;
  }

  function render(name: string, input: { locale?: string; data: Record<string, unknown>; layout?: string }): RenderedTemplate {
    const { catalog, compiler } = current();
    const requested = input.locale === undefined ? defaultLocale : canonicalLocale(input.locale) ?? input.locale;
    const tried = [...new Set([requested, defaultLocale])];
    const locales = catalog.templates.get(name);
    const locale = tried.find((candidate) => locales?.has(candidate));
    if (!locales || !locale) {
      const why = locales ? `has no ${tried.join(' or ')} version (it has ${[...locales.keys()].join(', ')})` : 'does not exist in any template root';
      throw new TemplateError('TEMPLATE_NOT_FOUND', name, `Template "${name}" ${why}; locales tried: ${tried.join(', ')}`);
    }
    const file = locales.get(locale)!.file;

    return withTemplateErrors(name, file, () => {
      const template = compiler.template(file);
      const data = input.data;
      const once = (redact: boolean) => {
        const secrets = { used: false, redact };
        const options = { data: { locale, timeZone, secrets } satisfies RenderFrame };
        // One line, whitespace collapsed: a subject is a mail header, and a newline in it would be header injection.
        const subject = template.subject ? template.subject(data, options).replace(/\s+/g, ' ').trim() : null;
        const body = redact && template.secret ? `<p>${REDACTED}</p>` : template.body(data, options);
        // A caller may print an e-mail's text as a document (layout 'print').
        const layoutName = input.layout ?? template.layout ?? (catalog.layouts.has('default') ? 'default' : 'none');
        let html = body;
        if (layoutName !== 'none') {
          const layoutFile = catalog.layouts.get(layoutName);
          if (!layoutFile) throw new InvalidSourceError(`${file}: layout "${layoutName}" is not in any root's layouts/`, file);
          html = compiler.plain(layoutFile)({ ...data, subject, body }, options);
        }
        return { subject, html, text: htmlToText(html), secret: secrets.used || template.secret };
      };
      const { secret, ...delivered } = once(false);
      // Rendered a second time only for e-mails that carry a secret.
      const redacted = secret ? (({ secret: _, ...copy }) => copy)(once(true)) : null;
      return { name, locale, ...delivered, redacted };
    });
  }

  function list(): Array<{ name: string; locales: string[]; root: string }> {
    return [...current().catalog.templates]
      .map(([name, locales]) => ({
        name,
        locales: [...locales.keys()].sort(),
        // The earliest root holding any locale of it: where an admin's override lives.
        root: roots.find((root) => [...locales.values()].some((source) => source.root === root))!,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  function reload(): void {
    session = null;
    translator.clear();
  }

  return { render, list, reload };
}

/** Turns whatever a render threw into a TemplateError that names the template, the file and, where known, the line. */
function withTemplateErrors<T>(name: string, file: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    if (error instanceof InvalidSourceError) {
      throw new TemplateError('TEMPLATE_INVALID', name, `Template "${name}" is invalid: ${error.message}`, { filePath: error.filePath, cause: error });
    }
    const origin = errorOrigin(error);
    const where = origin?.file ?? file;
    const message = shiftLineNumbers(error instanceof Error ? error.message : String(error), origin?.lineOffset ?? 0);
    // Handlebars' strict-mode message: `"recipientName" not defined in [object Object] - 3:12`.
    const missing = /^"(.+)" not defined in (.*?)(?: - (\d+):(\d+))?$/.exec(message);
    if (missing) {
      const [, variable, parent, line, column] = missing;
      const position = line ? `${where}:${line}:${column}` : where;
      const onParent = parent === 'undefined' || parent === 'null' ? ` (its parent object is ${parent})` : '';
      throw new TemplateError('TEMPLATE_MISSING_VARIABLE', name, `Template "${name}" needs variable "${variable}"${onParent}, at ${position}`, {
        filePath: where,
        variable,
        cause: error,
      });
    }
    throw new TemplateError('TEMPLATE_RENDER_FAILED', name, `Template "${name}" failed to render (${where}): ${message}`, { filePath: where, cause: error });
  }
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function invalidOption(name: string, value: unknown): never {
  throw new Error(`createTemplateRenderer: ${name} ${JSON.stringify(value)} is not valid`);
}
