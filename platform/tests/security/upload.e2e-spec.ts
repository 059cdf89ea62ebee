import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const FILE = 'plugin::upload.file';

/**
 * Strapi's upload plug-in serves /api/upload* to any role granted its actions; no platform role is. Dealers'
 * documents go through the dealers plug-in's own upload route, staff use the admin panel's media library.
 */
describe('upload plug-in REST routes', () => {
  let env: TestEnvironment;
  let token: GraphqlClient;
  let fileId: number;
  const refused: Array<{ name: string; bearer: string | null }> = [];

  beforeAll(async () => {
    env = await createTestEnvironment();
    token = await env.asApiToken('full-access');
    refused.push({ name: 'anonymous', bearer: null });
    refused.push({ name: 'dealer portal user', bearer: (await env.asDealer(await env.createDealer())).token });
    for (const role of platformRegistry(env.strapi).staffRoles()) refused.push({ name: role, bearer: (await env.asStaff(role)).token });
  });
  afterAll(() => env?.destroy());

  const call = (method: string, path: string, bearer: string | null, body?: FormData) =>
    env.http(path, { method, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, body });
  const oneFile = (name: string) => {
    const form = new FormData();
    form.append('files', new Blob([`contents of ${name}`], { type: 'text/plain' }), name);
    return form;
  };

  it('positive control: a full-access API token uploads, lists, reads and deletes', async () => {
    const upload = await call('POST', '/api/upload', token.token, oneFile('control.txt'));
    expect(upload.status).toBe(201);
    const [created] = (await upload.json()) as Array<{ id: number; name: string }>;
    expect(created!.name).toBe('control.txt');
    expect((await call('GET', '/api/upload/files', token.token)).status).toBe(200);
    expect((await call('GET', `/api/upload/files/${created!.id}`, token.token)).status).toBe(200);
    expect((await call('DELETE', `/api/upload/files/${created!.id}`, token.token)).status).toBe(200);
    expect(await env.strapi.db.query(FILE).findOne({ where: { id: created!.id } })).toBeNull();

    // The file the refusals below aim at.
    const kept = await call('POST', '/api/upload', token.token, oneFile('kept.txt'));
    fileId = ((await kept.json()) as Array<{ id: number }>)[0]!.id;
  });

  it('refuses to list and read files to anyone else', async () => {
    for (const { name, bearer } of refused) {
      for (const path of ['/api/upload/files', `/api/upload/files/${fileId}`, '/api/upload/files?filters[name][$eq]=kept.txt']) {
        const res = await call('GET', path, bearer);
        expect([401, 403], `${name} GET ${path}`).toContain(res.status);
        expect(await res.text(), `${name} GET ${path}`).not.toContain('kept.txt');
      }
    }
  });

  it('refuses uploads, replacements and deletions to anyone else, and nothing changes', async () => {
    const before = await env.strapi.db.query(FILE).count({});
    for (const { name, bearer } of refused) {
      for (const [method, path] of [['POST', '/api/upload'], ['POST', `/api/upload?id=${fileId}`]] as const) {
        const res = await call(method, path, bearer, oneFile(`by-${name}.txt`));
        expect([401, 403], `${name} ${method} ${path}`).toContain(res.status);
      }
      const res = await call('DELETE', `/api/upload/files/${fileId}`, bearer);
      expect([401, 403], `${name} DELETE`).toContain(res.status);
    }
    expect(await env.strapi.db.query(FILE).count({})).toBe(before);
    expect((await env.strapi.db.query(FILE).findOne({ where: { id: fileId } }))?.name).toBe('kept.txt');
  });
});
