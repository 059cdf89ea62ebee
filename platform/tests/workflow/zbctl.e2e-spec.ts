import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { oneTaskProcess, uniqueId } from './zeebe-target';

// The official Go CLI, straight from the npm package (its Node wrapper phones the registry home).
const ZBCTL = path.resolve(__dirname, '../../../node_modules/zbctl/bin/zbctl-cli.linux');
const run = promisify(execFile);

describe.runIf(process.platform === 'linux')('zbctl against the embedded gateway', () => {
  let env: TestEnvironment;
  let dir: string;
  /** zbctl as a person runs it, with only `credentials` in its environment (no ZEEBE_* of this shell). */
  const bare = (credentials: Record<string, string>, ...args: string[]) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ZEEBE_') && !name.startsWith('CAMUNDA_')));
    // The Go client caches access tokens in ~/.camunda/credentials (per audience): a throw-away home keeps runs apart.
    const env = { ...clean, HOME: dir, ZEEBE_CLIENT_CONFIG_PATH: path.join(dir, 'credentials'), ...credentials };
    return run(ZBCTL, ['--insecure', '--address', address(), ...args], { timeout: 30_000, env });
  };
  const address = () => env.zeebeAddress.replace('grpc://', '');
  const oauth = () => ({
    ZEEBE_CLIENT_ID: env.zeebeClientCredentials.clientId,
    ZEEBE_CLIENT_SECRET: env.zeebeClientCredentials.clientSecret,
    ZEEBE_AUTHORIZATION_SERVER_URL: env.zeebeClientCredentials.tokenUrl,
  });
  const zbctl = (...args: string[]) => bare(oauth(), ...args);
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => null,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );

  beforeAll(async () => {
    env = await createTestEnvironment();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zbctl-'));
  });

  it('zbctl without credentials is refused as unauthenticated', async () => {
    const refused = await failure(bare({}, 'status'));
    expect(refused).toMatch(/Unauthenticated/);
    expect(refused).toMatch(/Expected bearer token/);
  });

  it('zbctl with a wrong client secret gets no token', async () => {
    // Its own token cache, so no token from another test can stand in.
    const refused = await failure(bare({ ...oauth(), ZEEBE_CLIENT_SECRET: 'not-the-secret', ZEEBE_CLIENT_CONFIG_PATH: path.join(dir, 'wrong-secret') }, 'status'));
    expect(refused).toMatch(/invalid_client|401/);
    expect(refused).not.toMatch(/Partition 1/);
  });

  it('zbctl takes the client credentials as flags too (--clientId, --clientSecret, --authzUrl)', async () => {
    const { clientId, clientSecret, tokenUrl } = env.zeebeClientCredentials;
    const { stdout } = await bare({}, '--clientId', clientId, '--clientSecret', clientSecret, '--authzUrl', tokenUrl, 'status');
    expect(stdout).toMatch(/Partition 1 : Leader, Healthy/);
  });
  afterAll(async () => {
    await env?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('zbctl status shows a healthy leader', async () => {
    const { stdout } = await zbctl('status');
    expect(stdout).toMatch(/Partition 1 : Leader, Healthy/);
  });

  it('zbctl deploy (legacy DeployProcess) and deploy resource agree on versions', async () => {
    const id = uniqueId('Process_Zbctl');
    const file = path.join(dir, `${id}.bpmn`);
    fs.writeFileSync(file, oneTaskProcess(id));
    const legacy = JSON.parse((await zbctl('deploy', file)).stdout);
    expect(legacy.processes[0]).toMatchObject({ bpmnProcessId: id, version: 1 });
    const current = JSON.parse((await zbctl('deploy', 'resource', file)).stdout);
    expect(current.deployments[0].process).toMatchObject({
      bpmnProcessId: id,
      version: 1,
      processDefinitionKey: legacy.processes[0].processDefinitionKey,
    });
  });

  it('zbctl deploy of an invalid file fails with the element named', async () => {
    const id = uniqueId('Process_ZbctlBad');
    const file = path.join(dir, `${id}.bpmn`);
    fs.writeFileSync(file, oneTaskProcess(id).replace(/<bpmn:extensionElements>.*<\/bpmn:extensionElements>/, ''));
    const refused = await failure(zbctl('deploy', file));
    expect(refused).toMatch(/InvalidArgument/);
    expect(refused).toMatch(/Task_Work/);
  });

  it('zbctl create instance, activate jobs and complete job drive an instance', async () => {
    const id = uniqueId('Process_ZbctlRun');
    const type = uniqueId('zbctl.work');
    const file = path.join(dir, `${id}.bpmn`);
    fs.writeFileSync(file, oneTaskProcess(id, type));
    await zbctl('deploy', 'resource', file);
    const created = JSON.parse((await zbctl('create', 'instance', id, '--variables', '{"orderId":"o-1"}')).stdout);
    expect(created).toMatchObject({ bpmnProcessId: id, version: 1 });
    expect(String(created.processInstanceKey)).toMatch(/^\d+$/);

    const activated = JSON.parse((await zbctl('activate', 'jobs', type, '--maxJobsToActivate', '1', '--requestTimeout', '5s')).stdout);
    expect(activated.jobs).toHaveLength(1);
    expect(JSON.parse(activated.jobs[0].variables)).toEqual({ orderId: 'o-1' });
    expect(String(activated.jobs[0].processInstanceKey)).toBe(String(created.processInstanceKey));
    await zbctl('complete', 'job', String(activated.jobs[0].key), '--variables', '{"shipped":true}');
    // Completing it again is refused: the job is gone once the instance moved on.
    const again = await failure(zbctl('complete', 'job', String(activated.jobs[0].key)));
    expect(again).toMatch(/NotFound/);
  });
});
