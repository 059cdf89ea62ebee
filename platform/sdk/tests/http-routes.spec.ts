import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChannelflowError, definePlugin, type HttpRoute } from '../src';

const logged: string[] = [];
const strapi = { log: { error: (m: string) => logged.push(m) } } as any;

/** Enough of a koa context for the controller: what a handler reads and what the response becomes. */
function fakeContext(request: Record<string, unknown> = {}) {
  const headers: Record<string, string> = {};
  return {
    method: 'POST',
    path: '/api/things/upload',
    request: { ip: '10.1.2.3', ...request },
    status: 404,
    body: undefined as unknown,
    type: '',
    set: (k: string, v: string) => (headers[k] = v),
    headers,
  };
}

function pluginWith(handler: HttpRoute['handler']) {
  const plugin = definePlugin({ name: 'things', http: [{ method: 'POST', path: '/upload', scope: 'public', handler }] });
  const controller = plugin.controllers.http!({ strapi });
  return { plugin, action: controller.postUpload! };
}

describe('definePlugin http routes', () => {
  it('become public content-api routes of the plug-in, handled by its http controller', () => {
    const { plugin } = pluginWith(() => null);
    expect(plugin.routes).toEqual({
      'content-api': { type: 'content-api', routes: [{ method: 'POST', path: '/upload', handler: 'http.postUpload', config: { auth: false, policies: [] } }] },
    });
    expect(definePlugin({ name: 'plain' })).toMatchObject({ routes: {}, controllers: {} });
  });

  it('refuses the same method and path twice', () => {
    const route = { method: 'GET', path: '/status', scope: 'public', handler: () => null } as const;
    expect(() => definePlugin({ name: 'twice', http: [route, route] })).toThrow(/GET \/status is defined twice/);
  });

  it('answers with what the handler returns and gives it the client address', async () => {
    const { action } = pluginWith((ctx, { clientIp }) => {
      ctx.status = 201;
      return { from: clientIp };
    });
    const ctx = fakeContext();
    await action(ctx as any);
    expect(ctx).toMatchObject({ status: 201, body: { from: '10.1.2.3' } });
  });

  it.each([
    ['BAD_INPUT', 400],
    ['NOT_FOUND', 404],
    ['FILE_TOO_LARGE', 413],
    ['UNSUPPORTED_FILE_TYPE', 415],
    ['RATE_LIMITED', 429],
    ['CREDIT_LIMIT_EXCEEDED', 422],
  ])('answers a ChannelflowError %s with %i and { error: { code, message, details } }', async (code, status) => {
    const { action } = pluginWith(() => {
      throw new ChannelflowError(code, `refused: ${code}`, { retryAfterSeconds: 30 });
    });
    const ctx = fakeContext();
    await action(ctx as any);
    expect(ctx.status).toBe(status);
    expect(ctx.body).toEqual({ error: { code, message: `refused: ${code}`, details: { retryAfterSeconds: 30 } } });
    expect(ctx.headers['Retry-After']).toBe(code === 'RATE_LIMITED' ? '30' : undefined);
  });

  it('answers anything unexpected with 500 and a generic message, logging the stack instead of sending it', async () => {
    const { action } = pluginWith(() => {
      throw new TypeError('secret internals at /srv/app.js:12');
    });
    const ctx = fakeContext();
    await action(ctx as any);
    expect(ctx.status).toBe(500);
    expect(ctx.body).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: expect.stringContaining('has been logged'), details: null } });
    expect(JSON.stringify(ctx.body)).not.toContain('secret internals');
    expect(logged.at(-1)).toContain('secret internals');
  });

  it('removes the temporary files of every uploaded field afterwards, also after a refusal', async () => {
    const filepath = path.join(os.tmpdir(), `http-routes-spec-${process.pid}-${Date.now()}`);
    writeFileSync(filepath, 'x');
    const { action } = pluginWith(() => {
      throw new ChannelflowError('BAD_INPUT', 'no');
    });
    await action(fakeContext({ files: { file: { filepath } } }) as any);
    expect(existsSync(filepath)).toBe(false);
  });
});
