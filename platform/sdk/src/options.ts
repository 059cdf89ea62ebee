import type { Core } from '@strapi/strapi';
import type { ZodObject, ZodRawShape, output } from 'zod';
import { issuesFromZod } from './errors';

/**
 * A plug-in's settings: one zod object whose fields have defaults and `.describe(...)` texts.
 * Each field is set from the environment as `<PLUG_IN>_<FIELD>` (option `infoAnswerWindow` of
 * `dealers` is `DEALERS_INFO_ANSWER_WINDOW`); the platform's config/plugins.ts collects them in
 * one place and Strapi validates them at start, so a bad value stops the start with its name.
 * Values arrive as strings: use `z.coerce.number()`, `z.stringbool()`, `z.string()`.
 */
export interface PluginOptions<T extends ZodObject<ZodRawShape>> {
  readonly plugin: string;
  readonly schema: T;
  /** The validated settings of this Strapi instance (Strapi's plug-in config). */
  of(strapi: Core.Strapi): output<T>;
  /** Validates raw settings; throws an Error naming each environment variable that is wrong. */
  parse(raw: Record<string, unknown>): output<T>;
  /** Every setting with its environment variable, default and description (the README's configuration table). */
  describe(): OptionDescription[];
}

export interface OptionDescription {
  plugin: string;
  key: string;
  env: string;
  default: string;
  description: string;
}

export function defineOptions<T extends ZodObject<ZodRawShape>>(plugin: string, schema: T): PluginOptions<T> {
  const defaults = schema.safeParse({});
  if (!defaults.success) throw new Error(`defineOptions(${plugin}): every option needs a default (${issuesFromZod(defaults.error).map((i) => i.path).join(', ')})`);
  for (const key of Object.keys(schema.shape)) {
    // config/plugins.ts maps variables back to keys; a key that does not survive the trip could never be set.
    const env = optionEnvName(plugin, key);
    if (!(key in optionsFromEnv(plugin, { [env]: 'x' }))) throw new Error(`defineOptions(${plugin}): option "${key}" cannot be set from ${env}; name it in camelCase without capital runs (e.g. "publicUrl", not "publicURL")`);
  }
  const parse = (raw: Record<string, unknown>) => {
    // An empty variable is an empty text for a setting whose default is text (`DEALERS_REQUIRED_DOCUMENTS=`: none); for any other it is unset.
    const given = Object.fromEntries(Object.entries(raw).filter(([key, value]) => value !== '' || typeof (defaults.data as Record<string, unknown>)[key] === 'string'));
    const result = schema.safeParse(given);
    if (result.success) return result.data;
    const problems = issuesFromZod(result.error).map((i) => `${optionEnvName(plugin, i.path.split('.')[0] ?? '')}: ${i.message}`);
    throw new Error(`plug-in "${plugin}" settings are invalid: ${problems.join('; ')}`);
  };
  const parsed = new WeakMap<Core.Strapi, output<T>>();
  return {
    plugin,
    schema,
    parse,
    of(strapi) {
      let values = parsed.get(strapi);
      if (!values) parsed.set(strapi, (values = parse((strapi.config.get(`plugin::${plugin}`) as Record<string, unknown> | undefined) ?? {})));
      return values;
    },
    describe() {
      return Object.entries(schema.shape).map(([key, field]) => ({
        plugin,
        key,
        env: optionEnvName(plugin, key),
        default: String((defaults.data as Record<string, unknown>)[key] ?? ''),
        description: descriptionOf(field),
      }));
    },
  };
}

/** `dealers` + `infoAnswerWindow` → `DEALERS_INFO_ANSWER_WINDOW`. */
export function optionEnvName(plugin: string, key: string): string {
  return `${upperSnake(plugin)}_${upperSnake(key)}`;
}

/**
 * A plug-in's raw settings from the environment: every `<PLUG_IN>_<FIELD>` variable, keyed by the
 * camelCase field name (`DEALERS_INFO_ANSWER_WINDOW` → `infoAnswerWindow`). Used by config/plugins.ts.
 */
export function optionsFromEnv(plugin: string, env: Record<string, string | undefined>): Record<string, string> {
  const prefix = `${upperSnake(plugin)}_`;
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const key = name
      .slice(prefix.length)
      .toLowerCase()
      .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    raw[key] = value;
  }
  return raw;
}

/** `.describe()` before `.default()` leaves the text on the inner schema: look through the wrappers. */
function descriptionOf(field: unknown): string {
  for (let current: any = field, depth = 0; current && depth < 8; current = current._zod?.def?.innerType, depth++) {
    if (current.description) return String(current.description);
  }
  return '';
}

function upperSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

/** The address users reach the platform at (PUBLIC_URL), for links in e-mails and pages. */
export function publicUrl(strapi: Core.Strapi): string {
  const configured = String(strapi.config.get('server.url') ?? '');
  return (configured || `http://localhost:${strapi.config.get('server.port') ?? 1337}`).replace(/\/$/, '');
}
