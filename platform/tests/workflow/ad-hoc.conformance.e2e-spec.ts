import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, grpcRefusal, jobsNow, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Camunda 8.8's ad-hoc subprocesses (BPMN implementation): the elements named by
// activeElementsCollection start; the subprocess completes when nothing runs in it any more, or
// when its completion condition holds (then cancelling what still runs unless told otherwise).
describe('Zeebe conformance: ad-hoc subprocesses', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const task = (id: string, type: string) => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;
  const adHoc = (id: string, types: Record<'audit' | 'visit' | 'call' | 'followUp', string>, attributes = '', completion = '') =>
    bpmn(
      id,
      `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="AdHoc_Checks" />
    <bpmn:adHocSubProcess id="AdHoc_Checks" ${attributes}>
      <bpmn:extensionElements><zeebe:adHoc activeElementsCollection="=checks" /></bpmn:extensionElements>
      ${task('Task_Audit', types.audit)}
      ${task('Task_Visit', types.visit)}
      <bpmn:sequenceFlow id="Flow_Visit" sourceRef="Task_Visit" targetRef="Task_FollowUp" />
      ${task('Task_FollowUp', types.followUp)}
      ${task('Task_Call', types.call)}
      ${completion}
    </bpmn:adHocSubProcess>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="AdHoc_Checks" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    );
  const typesFor = (base: string) => ({ audit: uniqueId(`${base}.audit`), visit: uniqueId(`${base}.visit`), call: uniqueId(`${base}.call`), followUp: uniqueId(`${base}.follow-up`) });

  it('starts only the elements activeElementsCollection names; their flows continue inside; it completes when nothing runs', async () => {
    const id = uniqueId('Process_AdHoc');
    const types = typesFor('adhoc');
    await deployProcess(client(), id, adHoc(id, types));
    const result = withResult(id, { checks: ['Task_Visit', 'Task_Call'] });
    const [visit] = await takeJobs(client(), types.visit);
    const [call] = await takeJobs(client(), types.call);
    expect(await jobsNow(client(), types.audit)).toHaveLength(0);
    await client().completeJob({ jobKey: call!.key, variables: { called: true } });
    await client().completeJob({ jobKey: visit!.key, variables: { visited: true } });
    const [followUp] = await takeJobs(client(), types.followUp);
    await client().completeJob({ jobKey: followUp!.key, variables: { followedUp: true } });
    expect((await result).variables).toMatchObject({ called: true, visited: true, followedUp: true });
  });

  it('an empty collection completes it at once', async () => {
    const id = uniqueId('Process_AdHocEmpty');
    await deployProcess(client(), id, adHoc(id, typesFor('adhoc-empty')));
    expect((await withResult(id, { checks: [] })).variables).toEqual({ checks: [] });
  });

  it('a completion condition that holds completes it and cancels what still runs (cancelRemainingInstances defaults to true)', async () => {
    const id = uniqueId('Process_AdHocCondition');
    const types = typesFor('adhoc-cond');
    await deployProcess(client(), id, adHoc(id, types, '', '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">=approved = true</bpmn:completionCondition>'));
    const result = withResult(id, { checks: ['Task_Audit', 'Task_Call'] });
    const [audit] = await takeJobs(client(), types.audit);
    const [call] = await takeJobs(client(), types.call, 1, { timeout: 1_000 });
    await client().completeJob({ jobKey: audit!.key, variables: { approved: true } });
    expect((await result).variables).toMatchObject({ approved: true });
    await expect(client().completeJob({ jobKey: call!.key, variables: {} })).rejects.toMatchObject({ code: 5 });
  });

  it('with cancelRemainingInstances="false" it waits for what still runs once the condition holds', async () => {
    const id = uniqueId('Process_AdHocNoCancel');
    const types = typesFor('adhoc-keep');
    await deployProcess(client(), id, adHoc(id, types, 'cancelRemainingInstances="false"', '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">=approved = true</bpmn:completionCondition>'));
    const result = withResult(id, { checks: ['Task_Audit', 'Task_Call'] });
    const [audit] = await takeJobs(client(), types.audit);
    const [call] = await takeJobs(client(), types.call);
    await client().completeJob({ jobKey: audit!.key, variables: { approved: true } });
    await client().completeJob({ jobKey: call!.key, variables: { called: true } });
    expect((await result).variables).toMatchObject({ approved: true, called: true });
  });

  it('refuses a start event inside an ad-hoc subprocess at deploy', async () => {
    const id = uniqueId('Process_AdHocStart');
    const xml = adHoc(id, typesFor('adhoc-bad')).replace('<bpmn:extensionElements><zeebe:adHoc', '<bpmn:startEvent id="Inner_Start" /><bpmn:extensionElements><zeebe:adHoc');
    const refusal = await grpcRefusal(deployProcess(client(), id, xml));
    expect(refusal.code).toBe(3);
    expect(refusal.details).toContain('Inner_Start');
  });
});
