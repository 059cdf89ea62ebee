import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpmn, clientFor, oneTaskProcess, uniqueId, zeebeTarget } from './zeebe-target';

// What only the embedded engine refuses (Camunda 8 itself would accept these elements).
describe.skipIf(Boolean(process.env.ZEEBE_ADDRESS))('embedded engine: deployment limits', () => {
  let target: Awaited<ReturnType<typeof zeebeTarget>>;
  beforeAll(async () => {
    target = await zeebeTarget();
  });
  afterAll(() => target?.close());

  const refusal = (resources: Array<{ name: string; xml: string }>) =>
    target.client.deployResources(resources.map((r) => ({ name: r.name, process: Buffer.from(r.xml) })) as any).then(
      () => {
        throw new Error('deployed but should have been refused');
      },
      (error: { code?: number; details?: string; message: string }) => error,
    );

  it('names an element outside its coverage list, and why', async () => {
    const id = uniqueId('Process_CancelingListener');
    const error = await refusal([
      {
        name: `${id}.bpmn`,
        xml: bpmn(
          id,
          `<bpmn:startEvent id="StartEvent_1" /><bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Review" />
           <bpmn:userTask id="Task_Review"><bpmn:extensionElements><zeebe:userTask />
             <zeebe:taskListeners><zeebe:taskListener eventType="canceling" type="review.withdrawn" /></zeebe:taskListeners>
           </bpmn:extensionElements></bpmn:userTask>
           <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Review" targetRef="EndEvent_1" /><bpmn:endEvent id="EndEvent_1" />`,
        ),
      },
    ]);
    expect(error.code).toBe(3);
    expect(error.details).toMatch(/Element: Task_Review\s+- ERROR: canceling task listeners are not supported by the embedded engine/);
  });

  it('refuses a whole multi-file deployment when one file is bad, storing none of it', async () => {
    const good = uniqueId('Process_Good');
    const bad = uniqueId('Process_Bad');
    const error = await refusal([
      { name: `${good}.bpmn`, xml: oneTaskProcess(good) },
      { name: `${bad}.bpmn`, xml: '<bpmn:definitions' },
    ]);
    expect(error.details).toContain(`'${bad}.bpmn'`);
    const rows = await target.env!.strapi.db.connection('wf_process_definitions').where({ bpmn_process_id: good });
    expect(rows).toEqual([]);
  });

  it('keeps deployments across a restart', async () => {
    const id = uniqueId('Process_Durable');
    const first = await target.client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(oneTaskProcess(id)) });
    await target.client.close();
    await target.env!.restart();
    target.client = clientFor(target.env!.zeebeAddress, target.env!.zeebeToken);
    const again = await target.client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(oneTaskProcess(id)) });
    expect(again.deployments[0]!.process).toMatchObject({ version: 1, processDefinitionKey: first.deployments[0]!.process.processDefinitionKey });
  });
});
