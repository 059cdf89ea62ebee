import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpmn, oneTaskProcess, uniqueId, zeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
describe('Zeebe conformance: topology and deployment', () => {
  let target: Awaited<ReturnType<typeof zeebeTarget>>;
  beforeAll(async () => {
    target = await zeebeTarget();
  });
  afterAll(() => target?.close());

  const deploy = (name: string, xml: string) => target.client.deployResource({ name, process: Buffer.from(xml) });
  const refusal = (name: string, xml: string) =>
    deploy(name, xml).then(
      () => {
        throw new Error(`${name} was deployed but should have been refused`);
      },
      (error: { code?: number; details?: string; message: string }) => error,
    );

  it('reports a topology with a leader for every partition', async () => {
    const topology = await target.client.topology();
    expect(topology.brokers.length).toBeGreaterThan(0);
    expect(topology.brokers.flatMap((b) => b.partitions).some((p) => String(p.role) === 'LEADER')).toBe(true);
    expect(topology.gatewayVersion).toMatch(/^8\./);
  });

  it('versions a process: same XML keeps its version, changed XML gets the next one', async () => {
    const id = uniqueId('Process_Versions');
    const first = await deploy(`${id}.bpmn`, oneTaskProcess(id));
    expect(first.deployments[0]!.process).toMatchObject({ bpmnProcessId: id, version: 1, resourceName: `${id}.bpmn` });
    expect(first.deployments[0]!.process.processDefinitionKey).toMatch(/^\d+$/);
    expect(first.key).toMatch(/^\d+$/);

    const again = await deploy(`${id}.bpmn`, oneTaskProcess(id));
    expect(again.deployments[0]!.process.version).toBe(1);
    expect(again.deployments[0]!.process.processDefinitionKey).toBe(first.deployments[0]!.process.processDefinitionKey);

    const changed = await deploy(`${id}.bpmn`, oneTaskProcess(id, 'demo.do-work', 'Do the work'));
    expect(changed.deployments[0]!.process.version).toBe(2);
    expect(changed.deployments[0]!.process.processDefinitionKey).not.toBe(first.deployments[0]!.process.processDefinitionKey);
  });

  it.each([
    ['malformed XML', (id: string) => oneTaskProcess(id).slice(0, -40), /BPMN|XML|parse/i],
    ['a service task without a job type', (id: string) => oneTaskProcess(id).replace(/<bpmn:extensionElements>.*<\/bpmn:extensionElements>/, ''), /Task_Work/],
    [
      'a FEEL syntax error',
      (id: string) =>
        bpmn(
          id,
          `<bpmn:startEvent id="StartEvent_1" /><bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_1" />
           <bpmn:exclusiveGateway id="Gateway_1" /><bpmn:sequenceFlow id="Flow_Yes" sourceRef="Gateway_1" targetRef="EndEvent_1">
           <bpmn:conditionExpression>= amount +* 3</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:endEvent id="EndEvent_1" />`,
        ),
      /Flow_Yes/,
    ],
  ])('refuses %s with INVALID_ARGUMENT and deploys nothing', async (_what, make, reason) => {
    const id = uniqueId('Process_Bad');
    const error = await refusal(`${id}.bpmn`, make(id));
    expect(error.code).toBe(3);
    expect(error.details ?? error.message).toMatch(reason);
    // Nothing was stored: the first valid deployment of this id is still version 1.
    const ok = await deploy(`${id}.bpmn`, oneTaskProcess(id));
    expect(ok.deployments[0]!.process.version).toBe(1);
  });
});
