import type { Core } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import { platformRegistry, type AdminReadOnly } from '@channelflow/sdk';

/** The content manager's actions: a ledger gets none but reading, a balance row keeps editing (of its other fields). */
const WRITES = ['create', 'update', 'delete', 'publish'] as const;
const ROW_WRITES = ['create', 'delete', 'publish'] as const;
const WRITING_ACTIONS = new Set(['create', 'update', 'delete', 'publish', 'unpublish', 'discardDraft', 'clone']);

/** Every content type a plug-in declared (partly) read-only in the admin panel. */
function readOnlyTypes(strapi: Core.Strapi): Map<string, AdminReadOnly> {
  return new Map(platformRegistry(strapi).listPlugins().flatMap((p) => Object.entries(p.adminReadOnly ?? {})));
}

/**
 * Money and stock move only through the services: the admin panel (and anything else on Strapi's document
 * service; our services write through the query engine) cannot create, change or delete a ledger entry, nor
 * change a balance or a limit. The refusal is Strapi's ApplicationError, so the admin shows its message.
 */
export function refuseAdminLedgerWrites(strapi: Core.Strapi): void {
  const types = readOnlyTypes(strapi);
  strapi.documents.use(async (context: any, next: () => any) => {
    const rule = types.get(context.uid);
    if (!rule || !WRITING_ACTIONS.has(context.action)) return next();
    const name = strapi.contentTypes[context.uid as keyof typeof strapi.contentTypes]?.info?.displayName ?? context.uid;
    if (rule.fields === 'all' || context.action !== 'update') {
      throw new errors.ApplicationError(`${name} rows are written by the platform only, never in the admin panel: ${rule.use}`);
    }
    const changed = await changedFields(strapi, context.uid, context.params, rule.fields);
    if (changed.length) throw new errors.ApplicationError(`${changed.join(', ')} of a ${name.toLowerCase()} cannot be edited in the admin panel: ${rule.use}`);
    return next();
  });
}

/**
 * What the content manager offers: no create/edit/delete buttons on ledgers, no create/delete on balance rows, and
 * read-only inputs for their balances and limits. Runs after Strapi's own bootstrap (its actions and the super
 * admin's permissions exist), then has Strapi recompute them, so no role (super admin included) keeps the actions.
 */
export async function showLedgersReadOnly(strapi: Core.Strapi): Promise<void> {
  const types = readOnlyTypes(strapi);
  if (!types.size) return;
  const actions = strapi.service('admin::permission').actionProvider;
  for (const [uid, rule] of types) {
    for (const action of rule.fields === 'all' ? WRITES : ROW_WRITES) {
      const registered = actions.get(`plugin::content-manager.explorer.${action}`) as { subjects?: string[] } | undefined;
      if (registered?.subjects) registered.subjects = registered.subjects.filter((subject) => subject !== uid);
    }
    const fields = rule.fields === 'all' ? Object.keys(strapi.contentTypes[uid as keyof typeof strapi.contentTypes]?.attributes ?? {}) : rule.fields;
    const configuration = strapi.plugin('content-manager').service('content-types');
    const contentType = configuration.findContentType(uid);
    const current = await configuration.findConfiguration(contentType);
    const metadatas = Object.fromEntries(fields.filter((f) => current.metadatas?.[f]).map((f) => [f, { ...current.metadatas[f], edit: { ...current.metadatas[f].edit, editable: false } }]));
    const { uid: _uid, ...stored } = current;
    await configuration.updateConfiguration(contentType, { ...stored, metadatas: { ...stored.metadatas, ...metadatas } });
  }
  await strapi.service('admin::role').resetSuperAdminPermissions();
  await strapi.service('admin::permission').cleanPermissionsInDatabase();
}

/** The read-only fields an update would change (the admin sends every field of the form, changed or not). */
async function changedFields(strapi: Core.Strapi, uid: string, params: any, fields: readonly string[]): Promise<string[]> {
  const data = params?.data ?? {};
  const touched = fields.filter((f) => f in data);
  if (!touched.length) return [];
  const stored = await strapi.db.query(uid as any).findOne({ where: { documentId: params.documentId } });
  if (!stored) return [];
  return touched.filter((f) => !sameValue(data[f], stored[f]));
}

function sameValue(sent: unknown, stored: unknown): boolean {
  const blank = (v: unknown) => v === null || v === undefined || v === '';
  if (blank(sent) || blank(stored)) return blank(sent) && blank(stored);
  const time = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : null);
  const [a, b] = [time(sent), time(stored)];
  if (a !== null || b !== null) return a === b || String(sent) === String(stored);
  return String(sent) === String(stored);
}
