import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_SECONDS, gatewayCredentials } from '../../src/workflow/gateway/credentials';
import { gatewayListenOptions, isLoopback } from '../../src/workflow/gateway/listen-options';

const log = { info: () => undefined };
const env = { WORKFLOW_GATEWAY_TOKEN: 'static-token-0123456789', WORKFLOW_GATEWAY_CLIENT_SECRET: 'client-secret-0123456789' };

describe('gateway credentials', () => {
  const credentials = gatewayCredentials(env, log);
  const issued = credentials.issue('channelflow', env.WORKFLOW_GATEWAY_CLIENT_SECRET)!;

  it.each([
    ['the static token', env.WORKFLOW_GATEWAY_TOKEN, true],
    ['an access token issued here', issued.accessToken, true],
    ['the static token with a character more', `${env.WORKFLOW_GATEWAY_TOKEN}x`, false],
    ['the client secret', env.WORKFLOW_GATEWAY_CLIENT_SECRET, false],
    ['an access token with a later expiry', issued.accessToken.replace(/\.(\d+)\./, (_, exp) => `.${Number(exp) + 3600}.`), false],
    ['an access token with its signature cut', issued.accessToken.slice(0, -2), false],
    ['an expired access token', credentials.issue('channelflow', env.WORKFLOW_GATEWAY_CLIENT_SECRET, Date.now() - (ACCESS_TOKEN_SECONDS + 1) * 1000)!.accessToken, false],
    ['an access token signed with another client secret', gatewayCredentials({ ...env, WORKFLOW_GATEWAY_CLIENT_SECRET: 'another-secret-0123456789' }, log).issue('channelflow', 'another-secret-0123456789')!.accessToken, false],
    ['nothing', '', false],
  ])('%s → accepted %s', (_, bearer, accepted) => {
    expect(credentials.accepts(bearer)).toBe(accepted);
  });

  it.each([
    ['channelflow', 'wrong-secret-0123456789'],
    ['someone', env.WORKFLOW_GATEWAY_CLIENT_SECRET],
    ['', ''],
  ])('issues nothing to client %j with secret %j', (id, secret) => {
    expect(credentials.issue(id, secret)).toBeNull();
  });

  it('issues hour-long tokens to WORKFLOW_GATEWAY_CLIENT_ID when set', () => {
    const custom = gatewayCredentials({ ...env, WORKFLOW_GATEWAY_CLIENT_ID: 'modeler' }, log);
    expect(custom.issue('channelflow', env.WORKFLOW_GATEWAY_CLIENT_SECRET)).toBeNull();
    expect(custom.issue('modeler', env.WORKFLOW_GATEWAY_CLIENT_SECRET)).toMatchObject({ expiresIn: 3600 });
  });

  it('generates missing secrets once per process and says so without printing them', () => {
    const lines: string[] = [];
    const first = gatewayCredentials({}, { info: (m) => lines.push(m) });
    const second = gatewayCredentials({}, { info: (m) => lines.push(m) });
    expect(first.token).toHaveLength(43);
    expect(second.token).toBe(first.token);
    expect(lines.some((l) => l.includes('WORKFLOW_GATEWAY_TOKEN is not set'))).toBe(true);
    expect(lines.join('\n')).not.toContain(first.token);
  });

  it('refuses a secret too short to be one', () => {
    expect(() => gatewayCredentials({ ...env, WORKFLOW_GATEWAY_TOKEN: 'secret' }, log)).toThrow(/WORKFLOW_GATEWAY_TOKEN must be at least 16 characters/);
  });
});

describe('gateway listen options', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['gateway.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('listens on 127.0.0.1:26500 in plaintext by default', () => {
    expect(gatewayListenOptions({})).toEqual({ host: '127.0.0.1', port: 26500, tls: null });
  });

  it('refuses a non-loopback address without TLS, naming the variables', () => {
    expect(() => gatewayListenOptions({ WORKFLOW_GATEWAY_HOST: '0.0.0.0' })).toThrow(/WORKFLOW_GATEWAY_HOST=0\.0\.0\.0 .*plaintext.*WORKFLOW_GATEWAY_TLS_CERT and WORKFLOW_GATEWAY_TLS_KEY/);
  });

  it('refuses half a TLS configuration and unreadable files', () => {
    expect(() => gatewayListenOptions({ WORKFLOW_GATEWAY_TLS_CERT: '/tmp/cert.pem' })).toThrow(/go together/);
    expect(() => gatewayListenOptions({ WORKFLOW_GATEWAY_TLS_CERT: '/nonexistent/cert.pem', WORKFLOW_GATEWAY_TLS_KEY: '/nonexistent/key.pem' })).toThrow(
      /WORKFLOW_GATEWAY_TLS_CERT=\/nonexistent\/cert.pem cannot be read/,
    );
    expect(() => gatewayListenOptions({ WORKFLOW_GATEWAY_PORT: 'abc' })).toThrow(/WORKFLOW_GATEWAY_PORT must be a port number/);
  });
});
