import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { bpmn, clientFor, eventually, openIncidents, uniqueId, type ZeebeClient } from './zeebe-target';

const fixture = path.resolve(__dirname, '../fixtures/plugins/jobs-demo');

const twoJobs = (id: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="Start" /><bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Add" />
     <bpmn:serviceTask id="Add"><bpmn:extensionElements><zeebe:taskDefinition type="jobs-demo.add-numbers" retries="2" /></bpmn:extensionElements></bpmn:serviceTask>
     <bpmn:sequenceFlow id="F2" sourceRef="Add" targetRef="Double" />
     <bpmn:serviceTask id="Double"><bpmn:extensionElements><zeebe:taskDefinition type="jobs-demo.double-sum" /></bpmn:extensionElements></bpmn:serviceTask>
     <bpmn:sequenceFlow id="F3" sourceRef="Double" targetRef="End" /><bpmn:endEvent id="End" />`,
  );

// A plug-in's defineJob handlers run as Zeebe workers of the platform, through the same client.
describe('plug-in jobs as workers', () => {
  let env: TestEnvironment;
  let client: ZeebeClient;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: fixture } });
    client = clientFor(env.zeebeAddress, env.zeebeToken);
  });
  afterAll(async () => {
    await client?.close();
    await env?.destroy();
  });

  const sideEffects = (processInstanceKey: string) =>
    env.strapi.db.connection('fixture_side_effects').where({ process_instance_key: processInstanceKey }).select('what');

  it('runs each job once, validated, and hands its output to the next job', async () => {
    const id = uniqueId('Jobs_Chain');
    await client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(twoJobs(id)) });
    const result = await client.createProcessInstanceWithResult({ bpmnProcessId: id, variables: { a: 20, b: 22 }, requestTimeout: 20_000 } as any);
    expect(result.variables).toMatchObject({ a: 20, b: 22, sum: 42, doubled: 84 });
    const effects = await sideEffects(String(result.processInstanceKey));
    expect(effects.map((e: { what: string }) => e.what).sort()).toEqual(['add', 'double']);
  });

  it('fails a job whose variables do not match its input schema, and raises an incident when retries run out', async () => {
    const id = uniqueId('Jobs_Invalid');
    await client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(twoJobs(id)) });
    const created = await client.createProcessInstance({ bpmnProcessId: id, variables: { a: 'twenty', b: 22 } });
    const [incident] = await eventually(
      async () => {
        const open = await openIncidents({ knex: env.strapi.db.connection }, String(created.processInstanceKey));
        if (!open.length) throw new Error('no incident yet');
        return open;
      },
      { timeoutMs: 20_000 },
    );
    expect(incident).toMatchObject({ element_id: 'Add', error_type: 'JOB_NO_RETRIES' });
    expect(incident!.error_message).toMatch(/Invalid variables for job jobs-demo\.add-numbers: .*a/);
    expect(await sideEffects(String(created.processInstanceKey))).toEqual([]);
  });
});
