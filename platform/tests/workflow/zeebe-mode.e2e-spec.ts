import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { startChildPlatform, type ChildPlatform } from './child-platform';
import { clientFor, oneTaskProcess } from './zeebe-target';

/**
 * WORKFLOW_ENGINE=zeebe: no embedded engine, no gateway; the same client path talks to a
 * Zeebe cluster. Here the "cluster" is another platform process's embedded gateway, a real
 * Zeebe API peer.
 */
describe('WORKFLOW_ENGINE=zeebe', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflows-zeebe-mode-'));
  let cluster: ChildPlatform;
  let platform: TestEnvironment;
  beforeAll(async () => {
    cluster = await startChildPlatform();
    fs.writeFileSync(path.join(dir, 'demo-remote.bpmn'), oneTaskProcess('demo-remote'));
    platform = await createTestEnvironment({
      env: {
        WORKFLOW_ENGINE: 'zeebe',
        ZEEBE_GRPC_ADDRESS: cluster.zeebeAddress,
        CAMUNDA_AUTH_STRATEGY: 'BEARER',
        CAMUNDA_OAUTH_TOKEN: cluster.zeebeToken,
        CHANNELFLOW_WORKFLOWS_DIR: dir,
      },
    });
  });
  afterAll(async () => {
    await platform?.destroy();
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts neither the embedded engine nor a gateway', async () => {
    expect(platformRegistry(platform.strapi).workflowRuntime()).toEqual({ mode: 'zeebe', gatewayAddress: null });
    expect(() => platform.zeebeAddress).toThrow(/no embedded Zeebe gateway/);
    expect(await platform.strapi.db.connection.schema.hasTable('wf_process_definitions')).toBe(false);
  });

  it('deploys its workflows to the cluster through the Zeebe client', async () => {
    const client = clientFor(cluster.zeebeAddress, cluster.zeebeToken);
    // The cluster already holds this exact XML as version 1, so deploying it again changes nothing.
    const again = await client.deployResource({ name: 'demo-remote.bpmn', process: fs.readFileSync(path.join(dir, 'demo-remote.bpmn')) });
    const changed = await client.deployResource({ name: 'demo-remote.bpmn', process: Buffer.from(oneTaskProcess('demo-remote', 'demo.other-work')) });
    await client.close();
    expect(again.deployments[0]!.process.version).toBe(1);
    expect(changed.deployments[0]!.process.version).toBe(2);
  });

  it('says where to look instead of listing processes it does not hold', async () => {
    const manager = await platform.asStaff('channel-manager');
    for (const query of ['{ processDefinitions { total } }', '{ processInstances { total } }', '{ incidents { total } }', '{ workflowCounters { openIncidents } }']) {
      const error = await manager.expectError('NOT_SUPPORTED', query);
      expect(error.message).toMatch(/Camunda Operate/);
    }
  });

  it('operates processes on the cluster: start and cancel go through the Zeebe client', async () => {
    const admin = await platform.asStaff('platform-admin');
    const { startProcessInstance } = await admin.query('mutation { startProcessInstance(bpmnProcessId: "demo-remote", businessKey: "SO-9") { key bpmnProcessId } }');
    expect(startProcessInstance.bpmnProcessId).toBe('demo-remote');
    // The cluster knows the instance (cancelling works once) and then no longer runs it.
    const cancel = 'mutation ($key: ID!) { cancelProcessInstance(key: $key) }';
    expect(await admin.query(cancel, { key: startProcessInstance.key })).toEqual({ cancelProcessInstance: true });
    const client = clientFor(cluster.zeebeAddress, cluster.zeebeToken);
    const again = await client.cancelProcessInstance(startProcessInstance.key).then(() => 'cancelled twice', (error: { code?: number }) => error.code);
    await client.close();
    expect(again).toBe(5); // NOT_FOUND
    const missing = await admin.expectError('NOT_FOUND', 'mutation { startProcessInstance(bpmnProcessId: "not-deployed-anywhere") { key } }');
    expect(missing.message).toContain('not-deployed-anywhere');
  });
});
