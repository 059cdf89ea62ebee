import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, eventually, jobsNow, serviceTask, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Zeebe's signals: broadcast to every waiting subscription and every process with a matching signal
// start event; never buffered (a signal nobody waits for is gone).
describe('Zeebe conformance: signal events', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const signalDef = (signalId: string, name: string) => `  <bpmn:signal id="${signalId}" name="${name}" />`;
  const broadcast = (signalName: string, variables: Record<string, unknown> = {}) => client().broadcastSignal({ signalName, variables });

  it('a signal start event starts the latest version of every process waiting for it, with the signal variables', async () => {
    const signal = uniqueId('price-list-published');
    const ids = [uniqueId('Process_SignalStartA'), uniqueId('Process_SignalStartB')];
    const type = uniqueId('signal.started');
    for (const id of ids) {
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="Start_Signal"><bpmn:signalEventDefinition id="SignalDef_Start" signalRef="Signal_1" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Signal" targetRef="Task_Work" />
    ${serviceTask('Task_Work', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
          '',
          signalDef('Signal_1', signal),
        ),
      );
    }
    await broadcast(signal, { priceList: '2027-Q1' });
    const jobs = await takeJobs(client(), type, 2);
    expect(jobs.map((j) => j.bpmnProcessId).sort()).toEqual([...ids].sort());
    for (const job of jobs) expect(job.variables).toMatchObject({ priceList: '2027-Q1' });
    await Promise.all(jobs.map((j) => client().completeJob({ jobKey: j.key, variables: {} })));
  });

  it('an intermediate catch event waits for the signal; every waiting instance gets it, and a later instance does not see an earlier signal', async () => {
    const signal = uniqueId('season-opened');
    const id = uniqueId('Process_SignalCatch');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Catch_Signal" />
    <bpmn:intermediateCatchEvent id="Catch_Signal"><bpmn:signalEventDefinition id="SignalDef_Catch" signalRef="Signal_1" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Signal" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    const first = withResult(id, { n: 1 });
    const second = withResult(id, { n: 2 });
    // Both instances must be waiting before the broadcast: a signal is not buffered.
    await eventually(async () => {
      await broadcast(signal, { season: 'spring' });
      const settled = await Promise.race([Promise.all([first, second]).then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
      expect(settled).toBe(true);
    });
    expect((await first).variables).toMatchObject({ n: 1, season: 'spring' });
    expect((await second).variables).toMatchObject({ n: 2, season: 'spring' });
  });

  it('an interrupting signal boundary event cancels the task (its job is gone) and takes the boundary path', async () => {
    const signal = uniqueId('recall');
    const id = uniqueId('Process_SignalBoundary');
    const types = { work: uniqueId('signal.work'), recalled: uniqueId('signal.recalled') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:boundaryEvent id="Boundary_Recall" attachedToRef="Task_Work"><bpmn:signalEventDefinition id="SignalDef_B" signalRef="Signal_1" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Boundary_Recall" targetRef="Task_Recalled" />
    ${serviceTask('Task_Recalled', types.recalled)}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Recalled" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    const result = withResult(id, { batch: 'B-7' });
    const [work] = await takeJobs(client(), types.work, 1, { timeout: 1_000 });
    await broadcast(signal, { reason: 'quality' });
    const [recalled] = await takeJobs(client(), types.recalled);
    expect(recalled!.variables).toMatchObject({ batch: 'B-7', reason: 'quality' });
    await expect(client().completeJob({ jobKey: work!.key, variables: {} })).rejects.toMatchObject({ code: 5 });
    await client().completeJob({ jobKey: recalled!.key, variables: {} });
    await result;
    expect(await jobsNow(client(), types.work)).toHaveLength(0);
  });

  it('a non-interrupting signal boundary event runs its path beside the task, which still completes', async () => {
    const signal = uniqueId('reminder');
    const id = uniqueId('Process_SignalBoundaryNI');
    const types = { work: uniqueId('signal.ni-work'), side: uniqueId('signal.ni-side') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:boundaryEvent id="Boundary_Remind" attachedToRef="Task_Work" cancelActivity="false"><bpmn:signalEventDefinition id="SignalDef_NI" signalRef="Signal_1" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Boundary_Remind" targetRef="Task_Side" />
    ${serviceTask('Task_Side', types.side)}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Side" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    const result = withResult(id);
    const [work] = await takeJobs(client(), types.work);
    await broadcast(signal);
    const [side] = await takeJobs(client(), types.side);
    await client().completeJob({ jobKey: side!.key, variables: { reminded: true } });
    await client().completeJob({ jobKey: work!.key, variables: { done: true } });
    expect((await result).variables).toMatchObject({ reminded: true, done: true });
  });

  it('a signal end event of one process starts another waiting for it, passing the end event’s input mappings', async () => {
    const signal = uniqueId('onboarded');
    const thrower = uniqueId('Process_SignalThrow');
    const catcher = uniqueId('Process_SignalCatcher');
    const type = uniqueId('signal.welcome');
    await deployProcess(
      client(),
      catcher,
      bpmn(
        catcher,
        `    <bpmn:startEvent id="Start_Signal"><bpmn:signalEventDefinition id="SignalDef_S" signalRef="Signal_1" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Signal" targetRef="Task_Welcome" />
    ${serviceTask('Task_Welcome', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Welcome" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    await deployProcess(
      client(),
      thrower,
      bpmn(
        thrower,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Throw_Midway" />
    <bpmn:intermediateThrowEvent id="Throw_Midway"><bpmn:signalEventDefinition id="SignalDef_T" signalRef="Signal_2" /></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Throw_Midway" targetRef="End_Signal" />
    <bpmn:endEvent id="End_Signal">
      <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=dealer" target="dealerCode" /></zeebe:ioMapping></bpmn:extensionElements>
      <bpmn:signalEventDefinition id="SignalDef_E" signalRef="Signal_1" />
    </bpmn:endEvent>`,
        '',
        `${signalDef('Signal_1', signal)}\n${signalDef('Signal_2', `${signal}-midway`)}`,
      ),
    );
    await withResult(thrower, { dealer: 'D0042' });
    const [job] = await takeJobs(client(), type);
    expect(job!.bpmnProcessId).toBe(catcher);
    expect(job!.variables).toMatchObject({ dealerCode: 'D0042' });
    await client().completeJob({ jobKey: job!.key, variables: {} });
  });

  it('an interrupting signal event subprocess ends the scope’s work and runs instead', async () => {
    const signal = uniqueId('cancel-all');
    const id = uniqueId('Process_SignalEventSub');
    const types = { work: uniqueId('signal.es-work'), cleanup: uniqueId('signal.es-cleanup') };
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:subProcess id="EventSub_Cancel" triggeredByEvent="true">
      <bpmn:startEvent id="Start_Cancel"><bpmn:signalEventDefinition id="SignalDef_ES" signalRef="Signal_1" /></bpmn:startEvent>
      <bpmn:sequenceFlow id="Flow_ES1" sourceRef="Start_Cancel" targetRef="Task_Cleanup" />
      ${serviceTask('Task_Cleanup', types.cleanup)}
      <bpmn:sequenceFlow id="Flow_ES2" sourceRef="Task_Cleanup" targetRef="End_Cancel" />
      <bpmn:endEvent id="End_Cancel" />
    </bpmn:subProcess>`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    const result = withResult(id);
    const [work] = await takeJobs(client(), types.work, 1, { timeout: 1_000 });
    await broadcast(signal);
    const [cleanup] = await takeJobs(client(), types.cleanup);
    await client().completeJob({ jobKey: cleanup!.key, variables: { cleaned: true } });
    expect((await result).variables).toMatchObject({ cleaned: true });
    await expect(client().completeJob({ jobKey: work!.key, variables: {} })).rejects.toMatchObject({ code: 5 });
  });

  it('a signal nobody waits for is not kept: an instance that starts waiting afterwards keeps waiting', async () => {
    const signal = uniqueId('too-early');
    const id = uniqueId('Process_SignalNotBuffered');
    const type = uniqueId('signal.after');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Catch_Signal" />
    <bpmn:intermediateCatchEvent id="Catch_Signal"><bpmn:signalEventDefinition id="SignalDef_Catch" signalRef="Signal_1" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Signal" targetRef="Task_After" />
    ${serviceTask('Task_After', type)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
        '',
        signalDef('Signal_1', signal),
      ),
    );
    await broadcast(signal);
    const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
    expect(await jobsNow(client(), type, 1_000)).toHaveLength(0);
    await broadcast(signal);
    const [job] = await takeJobs(client(), type);
    expect(job!.processInstanceKey).toBe(instance.processInstanceKey);
    await client().completeJob({ jobKey: job!.key, variables: {} });
  });
});
