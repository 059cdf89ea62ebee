import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

/**
 * Domain data is reached only through validated, scoped operations: no content type of ours has Strapi's
 * generic REST routes or GraphQL shadow CRUD (extendGraphql disables it for every content type it is given,
 * and no api:: folder has a routes/ directory). Every content type is enumerated from the running platform,
 * so a new one is covered the day it is added.
 */

/**
 * The only /api/<pluralName> paths that exist: not generated for a content type but hand-written routes of
 * Strapi's own plug-ins that happen to share the name. They stay (users-permissions' account routes such as
 * /api/users/me live beside them) and are closed by permissions no platform role holds.
 */
const PLUGIN_OWN_ROUTES: Record<string, string> = {
  'plugin::users-permissions.user': "users-permissions' /api/users routes (find, findOne, count, create, update, destroy, me)",
};

/**
 * Shadow CRUD that Strapi's own plug-ins keep for their content types. Strapi's permission check answers
 * FORBIDDEN to every platform role; only an admin's full-access (or read-only) API token passes it.
 */
const STRAPI_PLUGIN_SHADOW_CRUD = [
  'plugin::upload.file',
  'plugin::i18n.locale',
  'plugin::review-workflows.workflow',
  'plugin::review-workflows.workflow-stage',
  'plugin::users-permissions.role',
  'plugin::users-permissions.user',
];

interface SchemaField {
  name: string;
  args: Array<{ name: string; type: TypeRef }>;
}
interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

describe('shadow CRUD', () => {
  let env: TestEnvironment;
  let fullAccess: GraphqlClient;
  let schema: { types: Set<string>; query: Map<string, SchemaField>; mutation: Map<string, SchemaField> };
  let contentTypes: Array<{ uid: string; kind: string; singularName: string; pluralName: string; ours: boolean }>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    fullAccess = await env.asApiToken('full-access');
    const ourPlugins = new Set(platformRegistry(env.strapi).listPlugins().map((p) => p.name));
    contentTypes = Object.entries(env.strapi.contentTypes as Record<string, any>)
      .filter(([uid]) => uid.startsWith('api::') || uid.startsWith('plugin::'))
      .map(([uid, ct]) => ({
        uid,
        kind: ct.kind,
        singularName: ct.info.singularName,
        pluralName: ct.info.pluralName,
        ours: uid.startsWith('api::') || ourPlugins.has(uid.slice('plugin::'.length).split('.')[0]!),
      }));
    // Introspection is on outside production; a staff token, so nothing depends on who may introspect.
    const staff = await env.asStaff('platform-admin');
    const introspection = await staff.query(`{ __schema {
      types { name }
      queryType { fields { name args { name type { ...T } } } }
      mutationType { fields { name args { name type { ...T } } } }
    } }
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`);
    const s = introspection.__schema;
    schema = {
      types: new Set(s.types.map((t: { name: string }) => t.name)),
      query: new Map(s.queryType.fields.map((f: SchemaField) => [f.name, f])),
      mutation: new Map(s.mutationType.fields.map((f: SchemaField) => [f.name, f])),
    };
  });
  afterAll(() => env?.destroy());

  it('enumerates every content type, ours and Strapi plug-ins\'', () => {
    const uids = contentTypes.map((ct) => ct.uid);
    for (const uid of ['api::region.region', 'api::sales-team.sales-team', 'plugin::dealers.dealer', 'plugin::orders.order', 'plugin::users-permissions.user', 'plugin::upload.file']) {
      expect(uids).toContain(uid);
    }
    expect(contentTypes.filter((ct) => ct.ours).length).toBeGreaterThan(25);
  });

  it('positive control: a generated route and shadow CRUD field answer a full-access token', async () => {
    const res = await env.http('/api/users', { headers: { authorization: `Bearer ${fullAccess.token}` } });
    expect(res.status).toBe(200);
    // A route that exists for another method still says so: the 404s below are not a blanket answer.
    const wrongMethod = await env.http('/api/users/me', { method: 'POST', headers: { authorization: `Bearer ${fullAccess.token}` } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expect((await fullAccess.query('{ i18NLocales { code } }')).i18NLocales.length).toBeGreaterThan(0);
  });

  it('no REST route for any content type, even for a full-access API token', async () => {
    const answers: string[] = [];
    for (const ct of contentTypes) {
      const base = ct.kind === 'singleType' ? `/api/${ct.singularName}` : `/api/${ct.pluralName}`;
      const calls: Array<[string, string]> =
        ct.kind === 'singleType'
          ? [['GET', base], ['PUT', base], ['DELETE', base]]
          : [['GET', base], ['POST', base], ['GET', `${base}/1`], ['GET', `${base}/x7k2m9q4z1w8e5r3t6y0u2i4`], ['PUT', `${base}/1`], ['DELETE', `${base}/1`]];
      for (const [method, path] of calls) {
        const res = await env.http(path, {
          method,
          headers: { authorization: `Bearer ${fullAccess.token}`, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify({ data: {} }),
        });
        const expected = PLUGIN_OWN_ROUTES[ct.uid] ? 'plugin route' : 404;
        if (expected === 404 && res.status !== 404) answers.push(`${ct.uid}: ${method} ${path} answered ${res.status}`);
      }
    }
    expect(answers).toEqual([]);
  });

  it('the plug-in routes that share a content type\'s path are closed to every platform role', async () => {
    const callers: Array<[string, string | null]> = [['anonymous', null], ['dealer', (await env.asDealer(await env.createDealer())).token]];
    for (const role of platformRegistry(env.strapi).staffRoles()) callers.push([role, (await env.asStaff(role)).token]);
    for (const uid of Object.keys(PLUGIN_OWN_ROUTES)) {
      const ct = contentTypes.find((c) => c.uid === uid)!;
      for (const [name, bearer] of callers) {
        for (const [method, path] of [['GET', `/api/${ct.pluralName}`], ['GET', `/api/${ct.pluralName}/1`], ['POST', `/api/${ct.pluralName}`], ['PUT', `/api/${ct.pluralName}/1`], ['DELETE', `/api/${ct.pluralName}/1`]]) {
          const res = await env.http(path!, { method, headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
          expect(res.status, `${name} ${method} ${path}`).toBe(403);
        }
      }
    }
  });

  it('no GraphQL shadow CRUD type, query or mutation for our content types', () => {
    const naming = env.strapi.plugin('graphql').service('utils').naming;
    const leaks: string[] = [];
    for (const ct of contentTypes.filter((c) => c.ours)) {
      const model = env.strapi.getModel(ct.uid as any);
      // Generated only by shadow CRUD: our typeDefs never declare these.
      for (const type of [naming.getFiltersInputTypeName(model), naming.getContentTypeInputName(model), naming.getEntityResponseCollectionName(model), naming.getRelationResponseCollectionName(model)]) {
        if (schema.types.has(type)) leaks.push(`${ct.uid}: type ${type}`);
      }
      for (const field of [naming.getFindConnectionQueryName(model)]) if (schema.query.has(field)) leaks.push(`${ct.uid}: Query.${field}`);
      for (const field of [naming.getCreateMutationTypeName(model), naming.getUpdateMutationTypeName(model), naming.getDeleteMutationTypeName(model)]) {
        if (schema.mutation.has(field)) leaks.push(`${ct.uid}: Mutation.${field}`);
      }
      // `dealers`, `order`, … are also names of our own operations; the generic ones take filters/data of generated types.
      for (const field of [naming.getFindQueryName(model), naming.getFindOneQueryName(model)]) {
        const found = schema.query.get(field);
        const generatedArgs = (found?.args ?? []).filter((a) => /FiltersInput$|^PaginationArg$|^PublicationStatus$/.test(namedType(a.type)));
        if (generatedArgs.length) leaks.push(`${ct.uid}: Query.${field}(${generatedArgs.map((a) => a.name).join(', ')})`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("Strapi plug-ins' shadow CRUD is only what is listed, and refuses every platform role", async () => {
    const naming = env.strapi.plugin('graphql').service('utils').naming;
    const present = contentTypes
      .filter((ct) => !ct.ours)
      .filter((ct) => {
        const model = env.strapi.getModel(ct.uid as any);
        return schema.query.has(naming.getFindQueryName(model)) || schema.query.has(naming.getFindOneQueryName(model));
      })
      .map((ct) => ct.uid);
    expect(present.sort()).toEqual([...STRAPI_PLUGIN_SHADOW_CRUD].sort());

    const callers: Array<[string, GraphqlClient]> = [['anonymous', env.anonymous], ['dealer', await env.asDealer(await env.createDealer())]];
    for (const role of platformRegistry(env.strapi).staffRoles()) callers.push([role, await env.asStaff(role)]);
    const fields: Array<[string, string]> = [];
    for (const uid of STRAPI_PLUGIN_SHADOW_CRUD) {
      const model = env.strapi.getModel(uid as any);
      for (const name of [naming.getFindQueryName(model), naming.getFindOneQueryName(model), naming.getFindConnectionQueryName(model)]) {
        if (schema.query.has(name)) fields.push(['query', callField(schema.query.get(name)!)]);
      }
      for (const name of [naming.getCreateMutationTypeName(model), naming.getUpdateMutationTypeName(model), naming.getDeleteMutationTypeName(model)]) {
        if (schema.mutation.has(name)) fields.push(['mutation', callField(schema.mutation.get(name)!)]);
      }
    }
    expect(fields.length).toBeGreaterThan(10);
    const counts = await rowCounts(env, STRAPI_PLUGIN_SHADOW_CRUD);
    for (const [name, client] of callers) {
      for (const [operation, selection] of fields) {
        const res = await client.request(`${operation} { ${selection} }`);
        const codes = (res.errors ?? []).map((e) => e.extensions?.code);
        expect(codes, `${name}: ${operation} { ${selection} } → ${JSON.stringify(res.errors)}`).toEqual(['FORBIDDEN']);
      }
    }
    expect(await rowCounts(env, STRAPI_PLUGIN_SHADOW_CRUD)).toEqual(counts);
  });
});

/** A call of `field` with every required argument filled with something harmless, selecting __typename. */
function callField(field: SchemaField): string {
  const args = field.args
    .filter((a) => a.type.kind === 'NON_NULL')
    .map((a) => `${a.name}: ${a.type.ofType?.kind === 'INPUT_OBJECT' ? '{}' : '"1"'}`);
  return `${field.name}${args.length ? `(${args.join(', ')})` : ''} { __typename }`;
}

function namedType(type: TypeRef): string {
  return type.name ?? (type.ofType ? namedType(type.ofType) : '');
}

async function rowCounts(env: TestEnvironment, uids: string[]): Promise<number[]> {
  return Promise.all(uids.map((uid) => env.strapi.db.query(uid as any).count({})));
}
