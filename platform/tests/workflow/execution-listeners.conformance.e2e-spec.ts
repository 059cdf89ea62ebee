import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, eventually, externalZeebe, grpcRefusal, jobsNow, openIncidents, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Camunda 8's execution listeners: jobs that block the element, start listeners after the input
// mappings (their variables local to the element), end listeners after the output mappings (their
// variables to the parent scope), in model order.
describe('Zeebe conformance: execution listeners', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const listeners = (entries: Array<[eventType: 'start' | 'end', type: string]>) =>
    `<zeebe:executionListeners>${entries.map(([eventType, type]) => `<zeebe:executionListener eventType="${eventType}" type="${type}" retries="2" />`).join('')}</zeebe:executionListeners>`;

  it('start listeners run in order before the task’s job exists, see its input mappings, and their variables are local to it', async () => {
    const id = uniqueId('Process_StartListeners');
    const types = { first: uniqueId('el.first'), second: uniqueId('el.second'), work: uniqueId('el.work') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${types.work}" />
        <zeebe:ioMapping><zeebe:input source="=orderId" target="localOrder" /><zeebe:output source="=price" target="finalPrice" /></zeebe:ioMapping>
        ${listeners([
          ['start', types.first],
          ['start', types.second],
        ])}
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const result = withResult(id, { orderId: 'SO-7' });
    const [first] = await takeJobs(client(), types.first);
    expect(first!.variables).toMatchObject({ orderId: 'SO-7', localOrder: 'SO-7' });
    expect(await jobsNow(client(), types.second)).toHaveLength(0);
    expect(await jobsNow(client(), types.work)).toHaveLength(0);
    await client().completeJob({ jobKey: first!.key, variables: { price: 120 } });
    const [second] = await takeJobs(client(), types.second);
    expect(second!.variables).toMatchObject({ price: 120 });
    await client().completeJob({ jobKey: second!.key, variables: {} });
    const [work] = await takeJobs(client(), types.work);
    expect(work!.variables).toMatchObject({ price: 120 });
    await client().completeJob({ jobKey: work!.key, variables: {} });
    const done = await result;
    // The listener's variable stayed local: only the output mapping carried it out.
    expect(done.variables).toEqual({ orderId: 'SO-7', finalPrice: 120 });
  });

  it('an end listener runs after the output mappings, sees their result, and its variables reach the process', async () => {
    const id = uniqueId('Process_EndListener');
    const types = { work: uniqueId('el.end-work'), end: uniqueId('el.end'), next: uniqueId('el.next') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${types.work}" />
        <zeebe:ioMapping><zeebe:output source="=qty * 2" target="doubled" /></zeebe:ioMapping>
        ${listeners([['end', types.end]])}
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="Task_Next" />
    <bpmn:serviceTask id="Task_Next"><bpmn:extensionElements><zeebe:taskDefinition type="${types.next}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_Next" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const result = withResult(id);
    const [work] = await takeJobs(client(), types.work);
    await client().completeJob({ jobKey: work!.key, variables: { qty: 4 } });
    const [end] = await takeJobs(client(), types.end);
    expect(end!.variables).toMatchObject({ doubled: 8 });
    expect(await jobsNow(client(), types.next)).toHaveLength(0);
    await client().completeJob({ jobKey: end!.key, variables: { audited: true } });
    const [next] = await takeJobs(client(), types.next);
    expect(next!.variables).toMatchObject({ doubled: 8, audited: true });
    await client().completeJob({ jobKey: next!.key, variables: {} });
    expect((await result).variables).toMatchObject({ doubled: 8, audited: true });
  });

  it('a start listener on an exclusive gateway sets the variable its conditions read', async () => {
    const id = uniqueId('Process_GatewayListener');
    const types = { decide: uniqueId('el.decide'), big: uniqueId('el.big'), small: uniqueId('el.small') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_Size" />
    <bpmn:exclusiveGateway id="Gateway_Size" default="Flow_Small"><bpmn:extensionElements>${listeners([['start', types.decide]])}</bpmn:extensionElements></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_Big" sourceRef="Gateway_Size" targetRef="Task_Big"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=size = "big"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_Small" sourceRef="Gateway_Size" targetRef="Task_Small" />
    <bpmn:serviceTask id="Task_Big"><bpmn:extensionElements><zeebe:taskDefinition type="${types.big}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="Task_Small"><bpmn:extensionElements><zeebe:taskDefinition type="${types.small}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Big" targetRef="EndEvent_1" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_Small" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
      ),
    );
    const result = withResult(id);
    const [decide] = await takeJobs(client(), types.decide);
    await client().completeJob({ jobKey: decide!.key, variables: { size: 'big' } });
    const [big] = await takeJobs(client(), types.big);
    await client().completeJob({ jobKey: big!.key, variables: {} });
    await result;
  });

  it('a BPMN error thrown from a listener job is refused (FAILED_PRECONDITION); the job can still be completed', async () => {
    const id = uniqueId('Process_ListenerError');
    const types = { listener: uniqueId('el.no-error'), work: uniqueId('el.err-work') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work"><bpmn:extensionElements><zeebe:taskDefinition type="${types.work}" />${listeners([['start', types.listener]])}</bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
    const [job] = await takeJobs(client(), types.listener);
    const refusal = await grpcRefusal(client().throwError({ jobKey: job!.key, errorCode: 'NOPE', errorMessage: 'no' }));
    expect(refusal.code).toBe(9);
    await client().completeJob({ jobKey: job!.key, variables: {} });
    const [work] = await takeJobs(client(), types.work);
    await client().completeJob({ jobKey: work!.key, variables: {} });
  });

  it.skipIf(externalZeebe)('a listener job out of retries raises an incident; resolving it retries that listener only (embedded)', async () => {
    const id = uniqueId('Process_ListenerIncident');
    const types = { ok: uniqueId('el.ok'), flaky: uniqueId('el.flaky'), work: uniqueId('el.inc-work') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work"><bpmn:extensionElements><zeebe:taskDefinition type="${types.work}" />${listeners([
      ['start', types.ok],
      ['start', types.flaky],
    ])}</bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
    const [ok] = await takeJobs(client(), types.ok);
    await client().completeJob({ jobKey: ok!.key, variables: {} });
    const [flaky] = await takeJobs(client(), types.flaky);
    await client().failJob({ jobKey: flaky!.key, retries: 0, errorMessage: 'CRM down' });
    const [incident] = await eventually(async () => {
      const open = await openIncidents(suite, instance.processInstanceKey);
      expect(open).toHaveLength(1);
      return open;
    });
    expect(incident).toMatchObject({ element_id: 'Task_Work', error_type: 'JOB_NO_RETRIES', job_key: flaky!.key });
    await client().updateJobRetries({ jobKey: flaky!.key, retries: 1 });
    await client().resolveIncident({ incidentKey: incident!.key });
    const [again] = await takeJobs(client(), types.flaky);
    expect(again!.key).toBe(flaky!.key);
    expect(await jobsNow(client(), types.ok)).toHaveLength(0);
    await client().completeJob({ jobKey: again!.key, variables: {} });
    const [work] = await takeJobs(client(), types.work);
    await client().completeJob({ jobKey: work!.key, variables: {} });
  });

  it('refuses listeners where Camunda 8.8 does not allow them, and a duplicate (eventType, type)', async () => {
    const id = uniqueId('Process_ListenerPlaces');
    const type = uniqueId('el.anywhere');
    const xml = bpmn(
      id,
      `    <bpmn:startEvent id="StartEvent_1"><bpmn:extensionElements>${listeners([['start', type]])}</bpmn:extensionElements></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Twice" />
    <bpmn:serviceTask id="Task_Twice"><bpmn:extensionElements><zeebe:taskDefinition type="x" />${listeners([
      ['start', type],
      ['start', type],
    ])}</bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Twice" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
    );
    const refusal = await grpcRefusal(deployProcess(client(), id, xml));
    expect(refusal.code).toBe(3);
    expect(refusal.details).toContain('StartEvent_1');
    expect(refusal.details).toContain('Task_Twice');
  });

  it('process listeners: start ones run before the start event, end ones after the last element, both with the instance’s variables', async () => {
    const id = uniqueId('Process_ProcessListeners');
    const types = { opened: uniqueId('el.process-start'), work: uniqueId('el.process-work'), closed: uniqueId('el.process-end') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:extensionElements>${listeners([
          ['start', types.opened],
          ['end', types.closed],
        ])}</bpmn:extensionElements>
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work"><bpmn:extensionElements><zeebe:taskDefinition type="${types.work}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const result = withResult(id, { orderId: 'SO-21' });
    const [opened] = await takeJobs(client(), types.opened);
    expect(opened!.elementId).toBe(id);
    expect(opened!.variables).toEqual({ orderId: 'SO-21' });
    // Nothing of the flow runs while the start listener works.
    expect(await jobsNow(client(), types.work)).toHaveLength(0);
    await client().completeJob({ jobKey: opened!.key, variables: { channel: 'dealer-portal' } });
    const [work] = await takeJobs(client(), types.work);
    expect(work!.variables).toMatchObject({ orderId: 'SO-21', channel: 'dealer-portal' });
    await client().completeJob({ jobKey: work!.key, variables: { shipped: true } });
    const [closed] = await takeJobs(client(), types.closed);
    expect(closed!.variables).toMatchObject({ orderId: 'SO-21', channel: 'dealer-portal', shipped: true });
    let ended = false;
    void result.then(() => (ended = true), () => undefined);
    await jobsNow(client(), types.closed, 300);
    expect(ended).toBe(false);
    await client().completeJob({ jobKey: closed!.key, variables: { archivedAs: 'A-21' } });
    expect((await result).variables).toMatchObject({ orderId: 'SO-21', shipped: true, archivedAs: 'A-21' });
  });
});
