import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { startChildPlatform, type ChildPlatform } from './child-platform';
import { bpmn, clientFor, eventually, oneTaskProcess, restClientFor } from './zeebe-target';

const camundaUserTaskProcess = (id: string) =>
  bpmn(
    id,
    `    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Task_Review" />
    <bpmn:userTask id="Task_Review" name="Review remotely"><bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="finance" /></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Review" targetRef="End" />
    <bpmn:endEvent id="End" />`,
  );

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
    // The cluster's own task inbox stays off: its user tasks are for this platform's inbox.
    cluster = await startChildPlatform({ WORKFLOW_TASK_INBOX: 'false' });
    fs.writeFileSync(path.join(dir, 'demo-remote.bpmn'), oneTaskProcess('demo-remote'));
    fs.writeFileSync(path.join(dir, 'review-remote.bpmn'), camundaUserTaskProcess('review-remote'));
    platform = await createTestEnvironment({
      env: {
        WORKFLOW_ENGINE: 'zeebe',
        ZEEBE_GRPC_ADDRESS: cluster.zeebeAddress,
        // Camunda user tasks live in the cluster; the task inbox works them through its REST API.
        ZEEBE_REST_ADDRESS: cluster.baseUrl,
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

  it("puts the cluster's Camunda user tasks in the task inbox; claiming and completing go to the cluster", async () => {
    const client = clientFor(cluster.zeebeAddress, cluster.zeebeToken);
    const rest = restClientFor(cluster.baseUrl, cluster.zeebeToken);
    const { processInstanceKey } = await client.createProcessInstance({ bpmnProcessId: 'review-remote', variables: { orderNo: 'SO-88' } });
    await client.close();
    const finance = await platform.asStaff('finance');
    const inbox = '{ taskInbox(pageSize: 100) { nodes { id name processInstanceKey assignee variables } } }';
    const task = await eventually(async () => {
      const found = (await finance.query(inbox)).taskInbox.nodes.find((t: any) => t.processInstanceKey === processInstanceKey);
      if (!found) throw new Error('not in the inbox yet');
      return found;
    });
    expect(task).toMatchObject({ name: 'Review remotely', variables: { orderNo: 'SO-88' } });
    await finance.query('mutation ($id: ID!) { claimTask(id: $id) { id } }', { id: task.id });
    expect((await rest.getUserTask(task.id)).assignee).toBe(finance.user.email);
    const done = await finance.query('mutation ($id: ID!) { completeTask(id: $id, variables: { reviewed: true }) { state } }', { id: task.id });
    expect(done.completeTask.state).toBe('COMPLETED');
    expect((await rest.getUserTask(task.id)).state).toBe('COMPLETED');
    const instances = await rest.searchProcessInstances({ filter: { processInstanceKey } } as any);
    expect(instances.items[0]).toMatchObject({ state: 'COMPLETED' });
  });
});
