import { createFileCache } from './file-cache';
import { InvalidSourceError } from './template-error';
import { describeValue } from './exact-decimal';

export type Translate = (locale: string, key: string, vars: Record<string, unknown>) => string;

/**
 * Looks a key up in the render locale's i18n files (earlier roots first), then in the default locale's,
 * and fills `{name}` placeholders from vars. The result is plain text: Handlebars escapes it on output.
 */
export function createTranslator(filesFor: (locale: string) => string[], defaultLocale: string) {
  const cache = createFileCache(parseMessages);
  const translate: Translate = (locale, key, vars) => {
    for (const candidate of new Set([locale, defaultLocale])) {
      for (const file of filesFor(candidate)) {
        const message = cache.get(file).get(key);
        if (message !== undefined) return interpolate(message, key, vars);
      }
    }
    throw new Error(`t: no message "${key}" in the ${locale} or ${defaultLocale} i18n files`);
  };
  return { translate, clear: () => cache.clear() };
}

function interpolate(message: string, key: string, vars: Record<string, unknown>): string {
  return message.replace(/\{(\w+)\}/g, (_placeholder, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
    if (value === undefined) throw new Error(`t: message "${key}" needs {${name}}; pass ${name}=...`);
    if (value === null) return '';
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
    throw new Error(`t: {${name}} in "${key}" must be text or a number, got ${describeValue(value)}; format it first, e.g. ${name}=(date ...)`);
  });
}

/** Flattens nested objects to dotted keys: { layout: { footer: '…' } } → 'layout.footer'. */
function parseMessages(source: string, file: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(source.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InvalidSourceError(`${file}: not valid JSON (${(error as Error).message})`, file, { cause: error });
  }
  const messages = new Map<string, string>();
  const visit = (value: unknown, prefix: string): void => {
    if (typeof value === 'string') {
      messages.set(prefix, value);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, prefix ? `${prefix}.${key}` : key);
    } else {
      throw new InvalidSourceError(`${file}: "${prefix || '(top level)'}" must be a string or an object of strings`, file);
    }
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new InvalidSourceError(`${file}: must hold a JSON object of messages`, file);
  }
  visit(json, '');
  return messages;
}
