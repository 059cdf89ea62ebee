import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Camunda8 } from '@camunda8/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { clientFor, grpcRefusal, oneTaskProcess, uniqueId, type ZeebeClient } from './zeebe-target';

const UNAUTHENTICATED = 16;
const RATE_LIMIT = 40;

/** The embedded gateway answers only callers with its bearer token or an access token from the OAuth endpoint. */
describe('embedded gateway credentials', () => {
  let env: TestEnvironment;
  const clients: ZeebeClient[] = [];
  const client = (token?: string) => {
    const made = clientFor(env.zeebeAddress, token);
    clients.push(made);
    return made;
  };
  const tokenRequest = (body: Record<string, string> | string, headers: Record<string, string> = {}) =>
    env.http('/api/workflow/oauth/token', {
      method: 'POST',
      headers: { 'content-type': typeof body === 'string' ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
      body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
    });

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { WORKFLOW_GATEWAY_TOKEN_REQUESTS_PER_MINUTE: String(RATE_LIMIT) } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await env?.destroy();
  });

  it('refuses a call without a token as UNAUTHENTICATED, saying what to send', async () => {
    const refusal = await grpcRefusal(client().topology());
    expect(refusal.code).toBe(UNAUTHENTICATED);
    expect(refusal.details).toMatch(/Expected bearer token at header with key \[authorization\].*WORKFLOW_GATEWAY_TOKEN/);
  });

  it('refuses job activation (the ActivateJobs stream) and job completion without a token', async () => {
    const anonymous = client();
    expect((await grpcRefusal(anonymous.activateJobs({ type: 'any.type', worker: 'w', timeout: 1000, maxJobsToActivate: 1, requestTimeout: 100 }))).code).toBe(UNAUTHENTICATED);
    expect((await grpcRefusal(anonymous.completeJob({ jobKey: '2251799813685249', variables: {} }))).code).toBe(UNAUTHENTICATED);
    expect((await grpcRefusal(anonymous.publishMessage({ name: 'm', correlationKey: 'k', variables: {}, timeToLive: 0 }))).code).toBe(UNAUTHENTICATED);
  });

  it('refuses a wrong token, and the client secret used as a token', async () => {
    for (const token of [`${env.zeebeToken}x`, env.zeebeClientCredentials.clientSecret]) {
      const refusal = await grpcRefusal(client(token).topology());
      expect(refusal.code).toBe(UNAUTHENTICATED);
      expect(refusal.details).toMatch(/not valid for this gateway/);
    }
  });

  it('serves a client with the token: deploy, start, activate', async () => {
    const zeebe = client(env.zeebeToken);
    const id = uniqueId('Process_Token');
    const type = uniqueId('token.work');
    await zeebe.deployResource({ name: `${id}.bpmn`, process: Buffer.from(oneTaskProcess(id, type)) });
    const started = await zeebe.createProcessInstance({ bpmnProcessId: id, variables: { secret: 'payroll' } });
    const jobs = await zeebe.activateJobs({ type, worker: 'w', timeout: 10_000, maxJobsToActivate: 1, requestTimeout: 2000 });
    expect(jobs.map((j) => [j.processInstanceKey, j.variables])).toEqual([[started.processInstanceKey, { secret: 'payroll' }]]);
  });

  it('issues an access token for the client credentials (form, JSON or Basic) that the gateway accepts', async () => {
    const { clientId, clientSecret } = env.zeebeClientCredentials;
    const answers = [
      await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: 'zeebe-api' }),
      await tokenRequest(JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })),
      await tokenRequest({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const body = await answer.json();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect((await client(body.access_token).topology()).gatewayVersion).toBe('8.8.0');
    }
  });

  it('refuses wrong client credentials with 401 invalid_client, and other requests per RFC 6749', async () => {
    const { clientId, clientSecret } = env.zeebeClientCredentials;
    const wrongSecret = await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientSecret}x` });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const wrongId = await tokenRequest({ grant_type: 'client_credentials', client_id: 'someone', client_secret: clientSecret });
    expect(wrongId.status).toBe(401);
    const body = await wrongId.json();
    expect(body.error).toBe('invalid_client');
    expect(JSON.stringify(body)).not.toContain(clientSecret);
    const wrongBasic = await tokenRequest({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}` });
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    const password = await tokenRequest({ grant_type: 'password', client_id: clientId, client_secret: clientSecret });
    expect([password.status, (await password.json()).error]).toEqual([400, 'unsupported_grant_type']);
    const noSecret = await tokenRequest({ grant_type: 'client_credentials', client_id: clientId });
    expect([noSecret.status, (await noSecret.json()).error]).toEqual([400, 'invalid_request']);
  });

  it('limits token requests per address', async () => {
    const { clientId } = env.zeebeClientCredentials;
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) statuses.push((await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'guess' })).status);
    expect(statuses).toContain(401);
    const limited = await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'guess' });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'slow_down' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('embedded gateway beyond this machine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  let env: TestEnvironment | undefined;
  beforeAll(() => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    await env?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on a non-loopback address without TLS', async () => {
    await expect(createTestEnvironment({ env: { WORKFLOW_GATEWAY_HOST: '0.0.0.0' } })).rejects.toThrow(
      /WORKFLOW_GATEWAY_HOST=0\.0\.0\.0 would expose the Zeebe gateway .* in plaintext.*WORKFLOW_GATEWAY_TLS_CERT and WORKFLOW_GATEWAY_TLS_KEY/,
    );
  });

  it('serves TLS with WORKFLOW_GATEWAY_TLS_CERT and _KEY: a client trusting the certificate gets through with the token', async () => {
    const workflows = fs.mkdtempSync(path.join(dir, 'workflows-'));
    fs.writeFileSync(path.join(workflows, 'tls-demo.bpmn'), oneTaskProcess('tls-demo'));
    // The platform's own client deploys on start, so booting at all proves it reaches its gateway.
    env = await createTestEnvironment({ env: { WORKFLOW_GATEWAY_HOST: '0.0.0.0', WORKFLOW_GATEWAY_TLS_CERT: cert, WORKFLOW_GATEWAY_TLS_KEY: key, CHANNELFLOW_WORKFLOWS_DIR: workflows } });
    expect(env.zeebeAddress).toMatch(/^grpcs:\/\/0\.0\.0\.0:\d+$/);
    const address = env.zeebeAddress.replace('0.0.0.0', 'localhost');
    const tls = (token: string | null) =>
      new Camunda8({
        ZEEBE_GRPC_ADDRESS: address,
        CAMUNDA_CUSTOM_ROOT_CERT_STRING: fs.readFileSync(cert, 'utf8'),
        ...(token ? { CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: token } : { CAMUNDA_AUTH_STRATEGY: 'NONE' }),
        zeebeGrpcSettings: { ZEEBE_GRPC_CLIENT_RETRY: false, ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
      } as any).getZeebeGrpcApiClient();
    const trusted = tls(env.zeebeToken);
    const anonymous = tls(null);
    const plaintext = clientFor(address.replace('grpcs://', 'grpc://'), env.zeebeToken);
    try {
      const deployed = await trusted.deployResource({ name: 'tls-demo.bpmn', process: Buffer.from(oneTaskProcess('tls-demo')) });
      expect(deployed.deployments[0]!.process.version).toBe(1); // the same XML the platform deployed on start
      expect((await grpcRefusal(anonymous.topology())).code).toBe(UNAUTHENTICATED);
      expect((await grpcRefusal(plaintext.topology())).code).not.toBe(0);
    } finally {
      await Promise.all([trusted, anonymous, plaintext].map((c) => c.close().catch(() => undefined)));
    }
  });
});
