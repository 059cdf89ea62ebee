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
});
