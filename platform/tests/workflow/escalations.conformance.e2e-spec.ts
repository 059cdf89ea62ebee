import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, jobsNow, serviceTask, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Zeebe's escalations: thrown by intermediate throw and end events, caught by boundary events on an
// enclosing subprocess or call activity and by escalation event subprocesses, interrupting or not;
// one nobody catches is no incident, the thrower goes on.
describe('Zeebe conformance: escalation events', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const escalations = '  <bpmn:escalation id="Escalation_Late" name="Late" escalationCode="LATE" />\n  <bpmn:escalation id="Escalation_Other" name="Other" escalationCode="OTHER" />';

  /** start → subprocess [ start → throw(code) → task(after) → end ] → end, with a boundary on the subprocess */
  const subprocessWithBoundary = (id: string, types: { after: string; caught: string }, options: { interrupting: boolean; throwRef: string; catchRef?: string }) =>
    bpmn(
      id,
      `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Sub_Deliver" />
    <bpmn:subProcess id="Sub_Deliver">
      <bpmn:startEvent id="Sub_Start" />
      <bpmn:sequenceFlow id="Flow_S1" sourceRef="Sub_Start" targetRef="Throw_Late" />
      <bpmn:intermediateThrowEvent id="Throw_Late"><bpmn:escalationEventDefinition id="EscDef_Throw" escalationRef="${options.throwRef}" /></bpmn:intermediateThrowEvent>
      <bpmn:sequenceFlow id="Flow_S2" sourceRef="Throw_Late" targetRef="Task_After" />
      ${serviceTask('Task_After', types.after)}
      <bpmn:sequenceFlow id="Flow_S3" sourceRef="Task_After" targetRef="Sub_End" />
      <bpmn:endEvent id="Sub_End" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Sub_Deliver" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:boundaryEvent id="Boundary_Late" attachedToRef="Sub_Deliver" cancelActivity="${options.interrupting}">
      <bpmn:escalationEventDefinition id="EscDef_Catch" ${options.catchRef ? `escalationRef="${options.catchRef}"` : ''} />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Boundary_Late" targetRef="Task_Caught" />
    ${serviceTask('Task_Caught', types.caught)}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Caught" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />`,
      '',
      escalations,
    );

  it('an interrupting boundary on the enclosing subprocess catches the escalation: the subprocess ends, the boundary path runs', async () => {
    const id = uniqueId('Process_EscInterrupt');
    const types = { after: uniqueId('esc.after'), caught: uniqueId('esc.caught') };
    await deployProcess(client(), id, subprocessWithBoundary(id, types, { interrupting: true, throwRef: 'Escalation_Late', catchRef: 'Escalation_Late' }));
    const result = withResult(id, { order: 'SO-1' });
    const [caught] = await takeJobs(client(), types.caught);
    expect(caught!.variables).toMatchObject({ order: 'SO-1' });
    expect(await jobsNow(client(), types.after)).toHaveLength(0);
    await client().completeJob({ jobKey: caught!.key, variables: { handled: true } });
    expect((await result).variables).toMatchObject({ handled: true });
  });

  it('a non-interrupting boundary runs its path and the thrower goes on inside the subprocess', async () => {
    const id = uniqueId('Process_EscNonInterrupt');
    const types = { after: uniqueId('esc.ni-after'), caught: uniqueId('esc.ni-caught') };
    await deployProcess(client(), id, subprocessWithBoundary(id, types, { interrupting: false, throwRef: 'Escalation_Late', catchRef: 'Escalation_Late' }));
    const result = withResult(id);
    const [caught] = await takeJobs(client(), types.caught);
    const [after] = await takeJobs(client(), types.after);
    await client().completeJob({ jobKey: caught!.key, variables: { notified: true } });
    await client().completeJob({ jobKey: after!.key, variables: { delivered: true } });
    expect((await result).variables).toMatchObject({ notified: true, delivered: true });
  });

  it('a boundary without an escalation code catches every escalation', async () => {
    const id = uniqueId('Process_EscCatchAll');
    const types = { after: uniqueId('esc.all-after'), caught: uniqueId('esc.all-caught') };
    await deployProcess(client(), id, subprocessWithBoundary(id, types, { interrupting: true, throwRef: 'Escalation_Other' }));
    const result = withResult(id);
    const [caught] = await takeJobs(client(), types.caught);
    await client().completeJob({ jobKey: caught!.key, variables: {} });
    await result;
  });

  it('an escalation nobody catches is no incident: a boundary for another code ignores it and the thrower goes on', async () => {
    const id = uniqueId('Process_EscUncaught');
    const types = { after: uniqueId('esc.un-after'), caught: uniqueId('esc.un-caught') };
    await deployProcess(client(), id, subprocessWithBoundary(id, types, { interrupting: true, throwRef: 'Escalation_Other', catchRef: 'Escalation_Late' }));
    const result = withResult(id);
    const [after] = await takeJobs(client(), types.after);
    await client().completeJob({ jobKey: after!.key, variables: { delivered: true } });
    expect((await result).variables).toMatchObject({ delivered: true });
    expect(await jobsNow(client(), types.caught)).toHaveLength(0);
  });

  it('an escalation end event inside a subprocess is caught by a non-interrupting event subprocess of the process, which completes after both', async () => {
    const id = uniqueId('Process_EscEventSub');
    const types = { notify: uniqueId('esc.es-notify'), work: uniqueId('esc.es-work') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Gateway_Split" />
    <bpmn:parallelGateway id="Gateway_Split" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Gateway_Split" targetRef="Sub_Check" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Gateway_Split" targetRef="Task_Work" />
    <bpmn:subProcess id="Sub_Check">
      <bpmn:startEvent id="Sub_Start" />
      <bpmn:sequenceFlow id="Flow_S1" sourceRef="Sub_Start" targetRef="Sub_EndEscalate" />
      <bpmn:endEvent id="Sub_EndEscalate"><bpmn:escalationEventDefinition id="EscDef_End" escalationRef="Escalation_Late" /></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Sub_Check" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Work" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />
    <bpmn:subProcess id="EventSub_Late" triggeredByEvent="true">
      <bpmn:startEvent id="Start_Late" isInterrupting="false"><bpmn:escalationEventDefinition id="EscDef_Start" escalationRef="Escalation_Late" /></bpmn:startEvent>
      <bpmn:sequenceFlow id="Flow_E1" sourceRef="Start_Late" targetRef="Task_Notify" />
      ${serviceTask('Task_Notify', types.notify)}
      <bpmn:sequenceFlow id="Flow_E2" sourceRef="Task_Notify" targetRef="End_Late" />
      <bpmn:endEvent id="End_Late" />
    </bpmn:subProcess>`,
        '',
        escalations,
      ),
    );
    const result = withResult(id);
    const [notify] = await takeJobs(client(), types.notify);
    const [work] = await takeJobs(client(), types.work);
    await client().completeJob({ jobKey: notify!.key, variables: { notified: true } });
    await client().completeJob({ jobKey: work!.key, variables: { worked: true } });
    expect((await result).variables).toMatchObject({ notified: true, worked: true });
  });

  it('an interrupting escalation event subprocess ends the rest of its scope', async () => {
    const id = uniqueId('Process_EscEventSubInterrupt');
    const types = { work: uniqueId('esc.esi-work'), handle: uniqueId('esc.esi-handle') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Gateway_Split" />
    <bpmn:parallelGateway id="Gateway_Split" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Gateway_Split" targetRef="Task_Work" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Gateway_Split" targetRef="Throw_Late" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Work" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:intermediateThrowEvent id="Throw_Late"><bpmn:escalationEventDefinition id="EscDef_T" escalationRef="Escalation_Late" /></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Throw_Late" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />
    <bpmn:subProcess id="EventSub_Late" triggeredByEvent="true">
      <bpmn:startEvent id="Start_Late"><bpmn:escalationEventDefinition id="EscDef_S" escalationRef="Escalation_Late" /></bpmn:startEvent>
      <bpmn:sequenceFlow id="Flow_E1" sourceRef="Start_Late" targetRef="Task_Handle" />
      ${serviceTask('Task_Handle', types.handle)}
      <bpmn:sequenceFlow id="Flow_E2" sourceRef="Task_Handle" targetRef="End_Late" />
      <bpmn:endEvent id="End_Late" />
    </bpmn:subProcess>`,
        '',
        escalations,
      ),
    );
    const result = withResult(id);
    const [handle] = await takeJobs(client(), types.handle);
    await client().completeJob({ jobKey: handle!.key, variables: { handled: true } });
    expect((await result).variables).toMatchObject({ handled: true });
    expect(await jobsNow(client(), types.work)).toHaveLength(0);
  });
});
