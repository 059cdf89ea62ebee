import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bpmn,
  clientFor,
  deployProcess,
  externalZeebe,
  grpcRefusal,
  jobsNow,
  serviceTask,
  sleep,
  takeJobs,
  uniqueId,
  useZeebeTarget,
  zeebeTarget,
} from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Zeebe 8.8's compensation: an activity with a compensation boundary event becomes compensable when
// it completes; a compensation throw or end event invokes the handlers of what completed in its
// scope (and inside completed subprocesses there) all at once, or only activityRef's, and waits
// until every handler has completed. Handlers run in the throw event's scope. Active or terminated
// activities are not compensated, and nothing is compensated twice.
describe('Zeebe conformance: compensation events', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  /** A service task with a compensation boundary event associated to its handler (a service task of `undoType`). */
  const compensable = (id: string, type: string, undoType: string, options: { handlerExtras?: string; loop?: string } = {}) => ({
    elements: `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>${options.loop ?? ''}</bpmn:serviceTask>
    <bpmn:boundaryEvent id="${id}_Compensation" attachedToRef="${id}"><bpmn:compensateEventDefinition id="${id}_CompDef" /></bpmn:boundaryEvent>
    <bpmn:serviceTask id="Undo_${id}" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="${undoType}" />${options.handlerExtras ?? ''}</bpmn:extensionElements></bpmn:serviceTask>`,
    association: `<bpmn:association id="${id}_Association" associationDirection="One" sourceRef="${id}_Compensation" targetRef="Undo_${id}" />`,
  });

  const throwAll = (id: string) => `<bpmn:intermediateThrowEvent id="${id}"><bpmn:compensateEventDefinition id="${id}_Def" /></bpmn:intermediateThrowEvent>`;
  const throwFor = (id: string, activityRef: string) =>
    `<bpmn:intermediateThrowEvent id="${id}"><bpmn:compensateEventDefinition id="${id}_Def" activityRef="${activityRef}" /></bpmn:intermediateThrowEvent>`;
  const eachOf123 =
    '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[1,2,3]" inputElement="item" /></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>';
  const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`;

  /** Whether `call` settles within `ms` (a throw or end event still waiting keeps the instance running). */
  const settlesWithin = async (call: Promise<unknown>, ms: number) => {
    let settled = false;
    call.then(
      () => (settled = true),
      () => (settled = true),
    );
    await sleep(ms);
    return settled;
  };

  it('a throw event invokes the handlers of every completed activity at once, in its scope, and waits for all of them', async () => {
    const id = uniqueId('Process_CompAll');
    const t = { reserve: uniqueId('comp.reserve'), charge: uniqueId('comp.charge'), undoReserve: uniqueId('comp.undo-reserve'), undoCharge: uniqueId('comp.undo-charge'), notify: uniqueId('comp.notify') };
    const reserve = compensable('Task_Reserve', t.reserve, t.undoReserve, { handlerExtras: '<zeebe:ioMapping><zeebe:input source="=reservation" target="toCancel" /></zeebe:ioMapping>' });
    const charge = compensable('Task_Charge', t.charge, t.undoCharge);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_Reserve')}
    ${reserve.elements}
    ${flow('Flow_2', 'Task_Reserve', 'Task_Charge')}
    ${charge.elements}
    ${flow('Flow_3', 'Task_Charge', 'Throw_Compensate')}
    ${throwAll('Throw_Compensate')}
    ${flow('Flow_4', 'Throw_Compensate', 'Task_Notify')}
    ${serviceTask('Task_Notify', t.notify)}
    ${flow('Flow_5', 'Task_Notify', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${reserve.association}
    ${charge.association}`,
      ),
    );
    const result = withResult(id, { order: 'SO-1' });
    const [reserved] = await takeJobs(client(), t.reserve);
    await client().completeJob({ jobKey: reserved!.key, variables: { reservation: 'R-1' } });
    const [charged] = await takeJobs(client(), t.charge);
    await client().completeJob({ jobKey: charged!.key, variables: { payment: 'P-1' } });

    // Both handlers are there before either completes: Zeebe invokes them at once, in no order.
    const [undoReserve] = await takeJobs(client(), t.undoReserve);
    const [undoCharge] = await takeJobs(client(), t.undoCharge);
    expect(undoReserve!.elementId).toBe('Undo_Task_Reserve');
    expect(undoReserve!.variables).toMatchObject({ order: 'SO-1', reservation: 'R-1', payment: 'P-1', toCancel: 'R-1' });
    expect(undoCharge!.variables).toMatchObject({ order: 'SO-1', payment: 'P-1' });

    // The throw event waits for every handler.
    expect(await jobsNow(client(), t.notify)).toHaveLength(0);
    await client().completeJob({ jobKey: undoReserve!.key, variables: { released: true } });
    expect(await jobsNow(client(), t.notify)).toHaveLength(0);
    await client().completeJob({ jobKey: undoCharge!.key, variables: { refunded: true } });

    const [notify] = await takeJobs(client(), t.notify);
    expect(notify!.variables).toMatchObject({ released: true, refunded: true });
    await client().completeJob({ jobKey: notify!.key, variables: {} });
    expect((await result).variables).toMatchObject({ released: true, refunded: true });
  });

  it('activityRef compensates only that activity', async () => {
    const id = uniqueId('Process_CompRef');
    const t = { a: uniqueId('comp.ref-a'), b: uniqueId('comp.ref-b'), undoA: uniqueId('comp.ref-undo-a'), undoB: uniqueId('comp.ref-undo-b') };
    const a = compensable('Task_A', t.a, t.undoA);
    const b = compensable('Task_B', t.b, t.undoB);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'Task_B')}
    ${b.elements}
    ${flow('Flow_3', 'Task_B', 'Throw_A')}
    ${throwFor('Throw_A', 'Task_A')}
    ${flow('Flow_4', 'Throw_A', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${a.association}
    ${b.association}`,
      ),
    );
    const result = withResult(id);
    for (const type of [t.a, t.b]) {
      const [job] = await takeJobs(client(), type);
      await client().completeJob({ jobKey: job!.key, variables: {} });
    }
    const [undoA] = await takeJobs(client(), t.undoA);
    expect(await jobsNow(client(), t.undoB)).toHaveLength(0);
    await client().completeJob({ jobKey: undoA!.key, variables: { undoneA: true } });
    expect((await result).variables).toMatchObject({ undoneA: true });
    expect(await jobsNow(client(), t.undoB)).toHaveLength(0);
  });

  it('a compensation end event ends its scope only once the handler has completed', async () => {
    const id = uniqueId('Process_CompEnd');
    const t = { a: uniqueId('comp.end-a'), undoA: uniqueId('comp.end-undo-a') };
    const a = compensable('Task_A', t.a, t.undoA);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'End_Compensate')}
    <bpmn:endEvent id="End_Compensate"><bpmn:compensateEventDefinition id="End_CompDef" /></bpmn:endEvent>
    ${a.association}`,
      ),
    );
    const result = withResult(id);
    const [job] = await takeJobs(client(), t.a);
    await client().completeJob({ jobKey: job!.key, variables: {} });
    const [undoA] = await takeJobs(client(), t.undoA);
    expect(await settlesWithin(result, 500)).toBe(false);
    await client().completeJob({ jobKey: undoA!.key, variables: { undone: true } });
    expect((await result).variables).toMatchObject({ undone: true });
  });

  it('an activity still active, or terminated by a boundary event, is not compensated: the throw event goes on at once', async () => {
    const id = uniqueId('Process_CompNotDone');
    const t = { a: uniqueId('comp.nd-a'), b: uniqueId('comp.nd-b'), after: uniqueId('comp.nd-after'), undoA: uniqueId('comp.nd-undo-a'), undoB: uniqueId('comp.nd-undo-b') };
    const a = compensable('Task_A', t.a, t.undoA);
    const b = compensable('Task_B', t.b, t.undoB);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Fork')}
    <bpmn:parallelGateway id="Fork" />
    ${flow('Flow_2', 'Fork', 'Task_A')}
    ${flow('Flow_3', 'Fork', 'Task_B')}
    ${a.elements}
    ${flow('Flow_4', 'Task_A', 'End_A')}
    <bpmn:endEvent id="End_A" />
    ${b.elements}
    ${flow('Flow_5', 'Task_B', 'End_B')}
    <bpmn:endEvent id="End_B" />
    <bpmn:boundaryEvent id="Boundary_Declined" attachedToRef="Task_B"><bpmn:errorEventDefinition id="ErrDef_1" errorRef="Error_Declined" /></bpmn:boundaryEvent>
    ${flow('Flow_6', 'Boundary_Declined', 'Throw_Compensate')}
    ${throwAll('Throw_Compensate')}
    ${flow('Flow_7', 'Throw_Compensate', 'Task_After')}
    ${serviceTask('Task_After', t.after)}
    ${flow('Flow_8', 'Task_After', 'End_After')}
    <bpmn:endEvent id="End_After" />
    ${a.association}
    ${b.association}`,
        '',
        '  <bpmn:error id="Error_Declined" name="Declined" errorCode="DECLINED" />',
      ),
    );
    const result = withResult(id);
    const [taskA] = await takeJobs(client(), t.a);
    const [taskB] = await takeJobs(client(), t.b);
    await client().throwError({ jobKey: taskB!.key, errorCode: 'DECLINED', errorMessage: 'card declined' });
    // A is active and B was terminated: nothing to compensate, so the throw event passes straight on.
    const [after] = await takeJobs(client(), t.after);
    expect(await jobsNow(client(), t.undoA)).toHaveLength(0);
    expect(await jobsNow(client(), t.undoB)).toHaveLength(0);
    await client().completeJob({ jobKey: after!.key, variables: {} });
    await client().completeJob({ jobKey: taskA!.key, variables: { a: 'done' } });
    expect((await result).variables).toMatchObject({ a: 'done' });
    expect(await jobsNow(client(), t.undoA)).toHaveLength(0);
  });

  it('a throw event reaches into a completed subprocess of its scope; the handler sees the throw event’s scope, not the subprocess’s', async () => {
    const id = uniqueId('Process_CompIntoSub');
    const t = { a: uniqueId('comp.sub-a'), b: uniqueId('comp.sub-b'), undoA: uniqueId('comp.sub-undo-a'), undoB: uniqueId('comp.sub-undo-b') };
    const a = compensable('Task_A', t.a, t.undoA);
    const b = compensable('Task_B', t.b, t.undoB);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Sub_Book')}
    <bpmn:subProcess id="Sub_Book">
      <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=&quot;inside&quot;" target="subLocal" /></zeebe:ioMapping></bpmn:extensionElements>
      <bpmn:startEvent id="Sub_Start" />
      ${flow('Flow_S1', 'Sub_Start', 'Task_A')}
      ${a.elements}
      ${flow('Flow_S2', 'Task_A', 'Sub_End')}
      <bpmn:endEvent id="Sub_End" />
      ${a.association}
    </bpmn:subProcess>
    ${flow('Flow_2', 'Sub_Book', 'Task_B')}
    ${b.elements}
    ${flow('Flow_3', 'Task_B', 'Throw_Compensate')}
    ${throwAll('Throw_Compensate')}
    ${flow('Flow_4', 'Throw_Compensate', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${b.association}`,
      ),
    );
    const result = withResult(id, { order: 'SO-2' });
    const [taskA] = await takeJobs(client(), t.a);
    expect(taskA!.variables).toMatchObject({ subLocal: 'inside' });
    await client().completeJob({ jobKey: taskA!.key, variables: {} });
    const [taskB] = await takeJobs(client(), t.b);
    await client().completeJob({ jobKey: taskB!.key, variables: {} });
    const [undoA] = await takeJobs(client(), t.undoA);
    const [undoB] = await takeJobs(client(), t.undoB);
    expect(undoA!.variables).toMatchObject({ order: 'SO-2' });
    expect(undoA!.variables).not.toHaveProperty('subLocal');
    await client().completeJob({ jobKey: undoA!.key, variables: {} });
    await client().completeJob({ jobKey: undoB!.key, variables: {} });
    await result;
  });

  it('a throw event inside a subprocess compensates only inside it; handler variables propagate like a job’s', async () => {
    const id = uniqueId('Process_CompInSub');
    const t = { a: uniqueId('comp.in-a'), b: uniqueId('comp.in-b'), undoA: uniqueId('comp.in-undo-a'), undoB: uniqueId('comp.in-undo-b') };
    const a = compensable('Task_A', t.a, t.undoA);
    const b = compensable('Task_B', t.b, t.undoB);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_B')}
    ${b.elements}
    ${flow('Flow_2', 'Task_B', 'Sub_Book')}
    <bpmn:subProcess id="Sub_Book">
      <bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="local" /></zeebe:ioMapping></bpmn:extensionElements>
      <bpmn:startEvent id="Sub_Start" />
      ${flow('Flow_S1', 'Sub_Start', 'Task_A')}
      ${a.elements}
      ${flow('Flow_S2', 'Task_A', 'Sub_EndCompensate')}
      <bpmn:endEvent id="Sub_EndCompensate"><bpmn:compensateEventDefinition id="Sub_EndCompDef" /></bpmn:endEvent>
      ${a.association}
    </bpmn:subProcess>
    ${flow('Flow_3', 'Sub_Book', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${b.association}`,
      ),
    );
    const result = withResult(id);
    for (const type of [t.b, t.a]) {
      const [job] = await takeJobs(client(), type);
      await client().completeJob({ jobKey: job!.key, variables: {} });
    }
    const [undoA] = await takeJobs(client(), t.undoA);
    expect(undoA!.variables).toMatchObject({ local: 0 });
    expect(await jobsNow(client(), t.undoB)).toHaveLength(0);
    // `local` exists in the subprocess scope and stays there; `global` lands in the process scope.
    await client().completeJob({ jobKey: undoA!.key, variables: { local: 1, global: 2 } });
    const variables = (await result).variables;
    expect(variables).toMatchObject({ global: 2 });
    expect(variables).not.toHaveProperty('local');
    expect(await jobsNow(client(), t.undoB)).toHaveLength(0);
  });

  it('a multi-instance activity is compensated once, by one handler invocation for all its instances', async () => {
    const id = uniqueId('Process_CompMulti');
    const t = { a: uniqueId('comp.mi-a'), undoA: uniqueId('comp.mi-undo-a') };
    const a = compensable('Task_A', t.a, t.undoA, { loop: eachOf123 });
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'Throw_Compensate')}
    ${throwAll('Throw_Compensate')}
    ${flow('Flow_3', 'Throw_Compensate', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${a.association}`,
      ),
    );
    const result = withResult(id);
    for (const job of await takeJobs(client(), t.a, 3)) await client().completeJob({ jobKey: job.key, variables: {} });
    const [undoA] = await takeJobs(client(), t.undoA);
    expect(await jobsNow(client(), t.undoA)).toHaveLength(0);
    await client().completeJob({ jobKey: undoA!.key, variables: {} });
    await result;
  });

  it('an activity inside a multi-instance subprocess is compensated once per completed iteration', async () => {
    const id = uniqueId('Process_CompMultiSub');
    const t = { a: uniqueId('comp.misub-a'), undoA: uniqueId('comp.misub-undo-a') };
    const a = compensable('Task_A', t.a, t.undoA);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Sub_Each')}
    <bpmn:subProcess id="Sub_Each">
      ${eachOf123}
      <bpmn:startEvent id="Sub_Start" />
      ${flow('Flow_S1', 'Sub_Start', 'Task_A')}
      ${a.elements}
      ${flow('Flow_S2', 'Task_A', 'Sub_End')}
      <bpmn:endEvent id="Sub_End" />
      ${a.association}
    </bpmn:subProcess>
    ${flow('Flow_2', 'Sub_Each', 'Throw_Compensate')}
    ${throwAll('Throw_Compensate')}
    ${flow('Flow_3', 'Throw_Compensate', 'End_1')}
    <bpmn:endEvent id="End_1" />`,
      ),
    );
    const result = withResult(id);
    for (const job of await takeJobs(client(), t.a, 3)) await client().completeJob({ jobKey: job.key, variables: {} });
    const undos = await takeJobs(client(), t.undoA, 3);
    expect(undos).toHaveLength(3);
    await client().completeJob({ jobKey: undos[0]!.key, variables: {} });
    await client().completeJob({ jobKey: undos[1]!.key, variables: {} });
    expect(await settlesWithin(result, 300)).toBe(false);
    await client().completeJob({ jobKey: undos[2]!.key, variables: {} });
    await result;
  });

  it('nothing is compensated twice: a second throw event finds the activity already compensated and goes on', async () => {
    const id = uniqueId('Process_CompTwice');
    const t = { a: uniqueId('comp.twice-a'), undoA: uniqueId('comp.twice-undo-a') };
    const a = compensable('Task_A', t.a, t.undoA);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'Throw_First')}
    ${throwAll('Throw_First')}
    ${flow('Flow_3', 'Throw_First', 'Throw_Second')}
    ${throwFor('Throw_Second', 'Task_A')}
    ${flow('Flow_4', 'Throw_Second', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${a.association}`,
      ),
    );
    const result = withResult(id);
    const [job] = await takeJobs(client(), t.a);
    await client().completeJob({ jobKey: job!.key, variables: {} });
    const [undoA] = await takeJobs(client(), t.undoA);
    await client().completeJob({ jobKey: undoA!.key, variables: {} });
    await result;
    expect(await jobsNow(client(), t.undoA)).toHaveLength(0);
  });

  it('a throw event in an error event subprocess compensates the scope around the event subprocess', async () => {
    const id = uniqueId('Process_CompEventSub');
    const t = { a: uniqueId('comp.es-a'), b: uniqueId('comp.es-b'), undoA: uniqueId('comp.es-undo-a') };
    const a = compensable('Task_A', t.a, t.undoA);
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'Task_B')}
    ${serviceTask('Task_B', t.b)}
    ${flow('Flow_3', 'Task_B', 'End_1')}
    <bpmn:endEvent id="End_1" />
    <bpmn:subProcess id="EventSub_Failed" triggeredByEvent="true">
      <bpmn:startEvent id="Start_Failed"><bpmn:errorEventDefinition id="ErrDef_Start" errorRef="Error_Failed" /></bpmn:startEvent>
      ${flow('Flow_E1', 'Start_Failed', 'End_Compensate')}
      <bpmn:endEvent id="End_Compensate"><bpmn:compensateEventDefinition id="End_CompDef" /></bpmn:endEvent>
    </bpmn:subProcess>
    ${a.association}`,
        '',
        '  <bpmn:error id="Error_Failed" name="Failed" errorCode="FAILED" />',
      ),
    );
    const result = withResult(id);
    const [taskA] = await takeJobs(client(), t.a);
    await client().completeJob({ jobKey: taskA!.key, variables: {} });
    const [taskB] = await takeJobs(client(), t.b);
    await client().throwError({ jobKey: taskB!.key, errorCode: 'FAILED', errorMessage: 'shipment lost' });
    const [undoA] = await takeJobs(client(), t.undoA);
    expect(await settlesWithin(result, 300)).toBe(false);
    await client().completeJob({ jobKey: undoA!.key, variables: { rolledBack: true } });
    expect((await result).variables).toMatchObject({ rolledBack: true });
  });

  describe('refused at deploy, as Zeebe refuses them', () => {
    const refusal = async (xml: string) => grpcRefusal(deployProcess(client(), uniqueId('Process_CompBad'), xml));

    it('a compensation event subprocess', async () => {
      const id = uniqueId('Process_CompEventSubprocess');
      const error = await refusal(
        bpmn(
          id,
          `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Sub_Work')}
    <bpmn:subProcess id="Sub_Work">
      <bpmn:startEvent id="Sub_Start" />
      ${flow('Flow_S1', 'Sub_Start', 'Sub_End')}
      <bpmn:endEvent id="Sub_End" />
      <bpmn:subProcess id="EventSub_Compensate" triggeredByEvent="true">
        <bpmn:startEvent id="Start_Compensate"><bpmn:compensateEventDefinition id="Start_CompDef" /></bpmn:startEvent>
        ${flow('Flow_E1', 'Start_Compensate', 'End_Compensate')}
        <bpmn:endEvent id="End_Compensate" />
      </bpmn:subProcess>
    </bpmn:subProcess>
    ${flow('Flow_2', 'Sub_Work', 'End_1')}
    <bpmn:endEvent id="End_1" />`,
        ),
      );
      expect(error.code).toBe(3);
      expect(error.details).toContain('EventSub_Compensate');
      expect(error.details).toContain('Start events in event subprocesses must be one of: message, timer, error, signal or escalation');
    });

    it('a compensation boundary event without an association to its handler', async () => {
      const id = uniqueId('Process_CompNoAssociation');
      const error = await refusal(
        bpmn(
          id,
          `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${serviceTask('Task_A', 'comp.a')}
    <bpmn:boundaryEvent id="Boundary_Compensation" attachedToRef="Task_A"><bpmn:compensateEventDefinition id="CompDef" /></bpmn:boundaryEvent>
    ${flow('Flow_2', 'Task_A', 'End_1')}
    <bpmn:endEvent id="End_1" />`,
        ),
      );
      expect(error.code).toBe(3);
      expect(error.details).toContain('Boundary_Compensation');
      expect(error.details).toContain('Compensation boundary events must have a compensation association and no outgoing sequence flows');
    });

    it('a compensation handler with an outgoing sequence flow', async () => {
      const id = uniqueId('Process_CompHandlerFlow');
      const a = compensable('Task_A', 'comp.a', 'comp.undo-a');
      const error = await refusal(
        bpmn(
          id,
          `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'End_1')}
    ${flow('Flow_3', 'Undo_Task_A', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${a.association}`,
        ),
      );
      expect(error.code).toBe(3);
      expect(error.details).toContain('Undo_Task_A');
      expect(error.details).toContain('A compensation handler should have no outgoing sequence flows');
    });

    it('an activityRef to an activity outside the throw event’s scope', async () => {
      const id = uniqueId('Process_CompRefScope');
      const a = compensable('Task_A', 'comp.a', 'comp.undo-a');
      const error = await refusal(
        bpmn(
          id,
          `    <bpmn:startEvent id="Start_1" />
    ${flow('Flow_1', 'Start_1', 'Task_A')}
    ${a.elements}
    ${flow('Flow_2', 'Task_A', 'Sub_Undo')}
    <bpmn:subProcess id="Sub_Undo">
      <bpmn:startEvent id="Sub_Start" />
      ${flow('Flow_S1', 'Sub_Start', 'Throw_A')}
      ${throwFor('Throw_A', 'Task_A')}
      ${flow('Flow_S2', 'Throw_A', 'Sub_End')}
      <bpmn:endEvent id="Sub_End" />
    </bpmn:subProcess>
    ${flow('Flow_3', 'Sub_Undo', 'End_1')}
    <bpmn:endEvent id="End_1" />
    ${a.association}`,
        ),
      );
      expect(error.code).toBe(3);
      expect(error.details).toContain('Throw_A');
      expect(error.details).toContain("The referenced compensation activity 'Task_A' must be in the same scope as the compensation throw event");
    });
  });
});

// The embedded platform only: what a throw event waits for survives a restart.
describe.skipIf(externalZeebe || process.env.ZEEBE_TARGET === 'engine')('embedded platform: compensation across a restart', () => {
  let target: Awaited<ReturnType<typeof zeebeTarget>>;
  beforeAll(async () => {
    target = await zeebeTarget();
  });
  afterAll(() => target?.close());

  const restart = async () => {
    await target.client.close();
    await target.env!.restart();
    target.client = clientFor(target.env!.zeebeAddress, target.env!.zeebeToken);
  };

  it('given a completed compensable activity, when the platform restarts before and during compensation, then the handler runs once and the instance completes', async () => {
    const id = uniqueId('Process_CompRestart');
    const t = { a: uniqueId('comp.rs-a'), b: uniqueId('comp.rs-b'), undoA: uniqueId('comp.rs-undo-a'), after: uniqueId('comp.rs-after') };
    await deployProcess(
      target.client,
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_A" />
    ${serviceTask('Task_A', t.a)}
    <bpmn:boundaryEvent id="Task_A_Compensation" attachedToRef="Task_A"><bpmn:compensateEventDefinition id="CompDef" /></bpmn:boundaryEvent>
    <bpmn:serviceTask id="Undo_Task_A" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="${t.undoA}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_A" targetRef="Task_B" />
    ${serviceTask('Task_B', t.b)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_B" targetRef="Throw_Compensate" />
    <bpmn:intermediateThrowEvent id="Throw_Compensate"><bpmn:compensateEventDefinition id="ThrowDef" /></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Throw_Compensate" targetRef="Task_After" />
    ${serviceTask('Task_After', t.after)}
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Task_After" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />
    <bpmn:association id="Association_A" associationDirection="One" sourceRef="Task_A_Compensation" targetRef="Undo_Task_A" />`,
      ),
    );
    const created = await target.client.createProcessInstance({ bpmnProcessId: id, variables: {} });
    const [taskA] = await takeJobs(target.client, t.a);
    await target.client.completeJob({ jobKey: taskA!.key, variables: { booked: 'B-1' } });
    await restart();
    const [taskB] = await takeJobs(target.client, t.b);
    await target.client.completeJob({ jobKey: taskB!.key, variables: {} });
    const [undoA] = await takeJobs(target.client, t.undoA);
    expect(undoA!.variables).toMatchObject({ booked: 'B-1' });
    await restart();
    // The throw event still waits for the handler, whose job outlived the restart.
    expect(await jobsNow(target.client, t.after)).toHaveLength(0);
    await target.client.completeJob({ jobKey: undoA!.key, variables: {} });
    const [after] = await takeJobs(target.client, t.after);
    await target.client.completeJob({ jobKey: after!.key, variables: {} });
    const rows = await target.env!.strapi.db.connection('wf_process_instances').where({ key: created.processInstanceKey });
    expect(rows[0]?.state).toBe('COMPLETED');
    expect(await target.env!.strapi.db.connection('wf_compensation_subscriptions').where({ process_instance_key: created.processInstanceKey })).toEqual([]);
  });
});
