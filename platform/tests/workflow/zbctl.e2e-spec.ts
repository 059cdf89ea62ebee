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
  const zbctl = (...args: string[]) =>
    run(ZBCTL, ['--insecure', '--address', env.zeebeAddress.replace('grpc://', ''), ...args], { timeout: 30_000 });

  beforeAll(async () => {
    env = await createTestEnvironment();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zbctl-'));
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
    const failure = await zbctl('deploy', file).then(
      () => null,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    expect(failure).toMatch(/InvalidArgument/);
    expect(failure).toMatch(/Task_Work/);
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
    const again = await zbctl('complete', 'job', String(activated.jobs[0].key)).then(
      () => null,
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    expect(again).toMatch(/NotFound/);
  });
});
