import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { clientFor, oneTaskProcess } from './zeebe-target';

describe('workflows/*.bpmn are deployed on start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflows-'));
  let env: TestEnvironment;
  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'demo-onboarding.bpmn'), oneTaskProcess('demo-onboarding', 'demo.check-application'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a process');
    env = await createTestEnvironment({ env: { CHANNELFLOW_WORKFLOWS_DIR: dir } });
  });
  afterAll(async () => {
    await env?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const versions = async () =>
    (await env.strapi.db.connection('wf_process_definitions').where({ bpmn_process_id: 'demo-onboarding' }).orderBy('version')).map(
      (row: { version: number }) => row.version,
    );

  it('deploys each file at start', async () => {
    expect(await versions()).toEqual([1]);
    const client = clientFor(env.zeebeAddress, env.zeebeToken);
    // Deploying the same content again is a no-op: proof that what started is what is on disk.
    const again = await client.deployResource({ name: 'demo-onboarding.bpmn', process: fs.readFileSync(path.join(dir, 'demo-onboarding.bpmn')) });
    await client.close();
    expect(again.deployments[0]!.process.version).toBe(1);
  });

  it('deploys again only what changed', async () => {
    await env.restart();
    expect(await versions()).toEqual([1]);
    fs.writeFileSync(path.join(dir, 'demo-onboarding.bpmn'), oneTaskProcess('demo-onboarding', 'demo.check-application', 'Check it twice'));
    await env.restart();
    expect(await versions()).toEqual([1, 2]);
  });

  it('refuses to start with a broken file, naming the element', async () => {
    fs.writeFileSync(path.join(dir, 'demo-broken.bpmn'), oneTaskProcess('demo-broken').replace(/<bpmn:extensionElements>.*<\/bpmn:extensionElements>/, ''));
    await expect(env.restart()).rejects.toThrow(/demo-broken\.bpmn[\s\S]*Task_Work/);
    fs.rmSync(path.join(dir, 'demo-broken.bpmn'));
    await env.restart();
    expect(await versions()).toEqual([1, 2]);
  });
});
