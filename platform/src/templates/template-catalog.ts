import fs from 'node:fs';
import path from 'node:path';

export interface TemplateSource {
  file: string;
  root: string;
}

/** What the template roots hold, earlier roots already winning; rebuilt only on reload(). */
export interface TemplateCatalog {
  /** name ('dealers/welcome') → locale → file */
  templates: Map<string, Map<string, TemplateSource>>;
  /** partial name → file */
  partials: Map<string, string>;
  /** layout name → file */
  layouts: Map<string, string>;
  /** locale → i18n files, in root order (earlier roots win per key) */
  messages: Map<string, string[]>;
}

// language, optional script, optional region: en, zh-CN, zh-Hans-CN, es-419
const localeSuffix = /^(.+)\.([a-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?)\.hbs$/;

/** Scans every root; a root that does not exist contributes nothing (a plug-in may ship no templates). */
export function scanTemplateRoots(roots: string[]): TemplateCatalog {
  const catalog: TemplateCatalog = { templates: new Map(), partials: new Map(), layouts: new Map(), messages: new Map() };
  for (const root of roots) {
    if (!isDirectory(root)) continue;
    for (const relative of walk(root, '')) addFile(catalog, root, relative);
  }
  return catalog;
}

/** Canonical spelling of a locale tag ('zh-cn' → 'zh-CN'), or null when it is not one. */
export function canonicalLocale(tag: string): string | null {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

function addFile(catalog: TemplateCatalog, root: string, relative: string): void {
  const file = path.join(root, relative);
  const [top, ...rest] = relative.split('/');
  // layouts/, partials/ and i18n/ are reserved: never templates.
  if (top === 'partials' || top === 'layouts') {
    // Only direct children: partials/footer.hbs is 'footer'.
    if (rest.length !== 1 || !rest[0].endsWith('.hbs')) return;
    const registry = top === 'partials' ? catalog.partials : catalog.layouts;
    const name = rest[0].slice(0, -'.hbs'.length);
    if (!registry.has(name)) registry.set(name, file);
    return;
  }
  if (top === 'i18n') {
    const locale = rest.length === 1 && rest[0].endsWith('.json') ? canonicalLocale(rest[0].slice(0, -'.json'.length)) : null;
    if (locale) catalog.messages.set(locale, [...(catalog.messages.get(locale) ?? []), file]);
    return;
  }
  const match = localeSuffix.exec(relative);
  const locale = match ? canonicalLocale(match[2]) : null;
  // Files without a locale suffix (notes.hbs, README.md) are not templates.
  if (!match || !locale) return;
  const name = match[1];
  const locales = catalog.templates.get(name) ?? new Map<string, TemplateSource>();
  if (!locales.has(locale)) locales.set(locale, { file, root });
  catalog.templates.set(name, locales);
}

function* walk(root: string, relative: string): Generator<string> {
  const entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    const full = path.join(root, child);
    // Follow symlinks: admins sometimes link a shared folder in.
    const stats = entry.isSymbolicLink() ? fs.statSync(full, { throwIfNoEntry: false }) : entry;
    if (stats?.isDirectory()) yield* walk(root, child);
    else if (stats?.isFile()) yield child;
  }
}

function isDirectory(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
