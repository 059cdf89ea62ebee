import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess, uniqueId, zeebeTarget } from './zeebe-target';

const LIST = `query ($id: String, $latest: Boolean) {
  processDefinitions(bpmnProcessId: $id, latestOnly: $latest) { total nodes { key bpmnProcessId version resourceName } }
}`;
const ONE = 'query ($key: ID!) { processDefinition(key: $key) { bpmnProcessId version xml } }';

describe.skipIf(Boolean(process.env.ZEEBE_ADDRESS))('process definitions over GraphQL (staff)', () => {
  let target: Awaited<ReturnType<typeof zeebeTarget>>;
  const id = uniqueId('Process_Listed');
  let keys: string[] = [];
  beforeAll(async () => {
    target = await zeebeTarget();
    const v1 = await target.client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(oneTaskProcess(id)) });
    const v2 = await target.client.deployResource({ name: `${id}.bpmn`, process: Buffer.from(oneTaskProcess(id, 'demo.do-work', 'Second')) });
    keys = [v1, v2].map((d) => d.deployments[0]!.process.processDefinitionKey);
  });
  afterAll(() => target?.close());

  it('lists every version, newest first, or only the latest', async () => {
    const manager = await target.env!.asStaff('channel-manager');
    const all = await manager.query(LIST, { id });
    expect(all.processDefinitions).toEqual({
      total: 2,
      nodes: [
        { key: keys[1], bpmnProcessId: id, version: 2, resourceName: `${id}.bpmn` },
        { key: keys[0], bpmnProcessId: id, version: 1, resourceName: `${id}.bpmn` },
      ],
    });
    const latest = await manager.query(LIST, { id, latest: true });
    expect(latest.processDefinitions.nodes.map((n: { version: number }) => n.version)).toEqual([2]);
  });

  it('returns one version with its XML, and NOT_FOUND for an unknown key', async () => {
    const admin = await target.env!.asStaff('platform-admin');
    const { processDefinition } = await admin.query(ONE, { key: keys[0] });
    expect(processDefinition).toMatchObject({ bpmnProcessId: id, version: 1 });
    expect(processDefinition.xml).toContain(`<bpmn:process id="${id}"`);
    await admin.expectError('NOT_FOUND', ONE, { key: '2251799813999999' });
    await admin.expectError('BAD_INPUT', ONE, { key: 'abc' });
  });

  it('is for staff holding platform.read-processes only', async () => {
    const rep = await target.env!.asStaff('sales-rep');
    await rep.expectError('FORBIDDEN', LIST, { id });
    const dealer = await target.env!.asDealer(await target.env!.createDealer());
    await dealer.expectError('FORBIDDEN', LIST, { id });
    await target.env!.anonymous.expectError('UNAUTHENTICATED', LIST, { id });
  });
});
