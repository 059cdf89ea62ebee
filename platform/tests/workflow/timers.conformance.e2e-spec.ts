import { afterEach, describe, expect, it } from 'vitest';
import { bpmn, deployProcess, grpcRefusal, jobsNow, serviceTask, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Zeebe promises a timer never fires before its due time (it may fire later), so that is the
// only timing asserted; everything else waits with a generous deadline.
describe('Zeebe conformance: timers', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  describe('intermediate timer catch event', () => {
    it('waits for a PT1S duration, never less', async () => {
      const id = uniqueId('Process_TimerDuration');
      await deployProcess(client(), id, timerCatchProcess(id, '<bpmn:timeDuration>PT1S</bpmn:timeDuration>'));
      const startedAt = Date.now();
      const result = await withResult(id, { orderId: 'o-1' });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
      expect(result.variables).toEqual({ orderId: 'o-1' });
    });

    it('waits for a duration computed by a FEEL expression', async () => {
      const id = uniqueId('Process_TimerFeel');
      await deployProcess(client(), id, timerCatchProcess(id, '<bpmn:timeDuration>=duration("PT" + string(waitSeconds) + "S")</bpmn:timeDuration>'));
      const startedAt = Date.now();
      const result = await withResult(id, { waitSeconds: 2 });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_000);
      expect(result.variables).toEqual({ waitSeconds: 2 });
    });

    it('waits until an ISO date-time', async () => {
      const id = uniqueId('Process_TimerDate');
      // Whole seconds, a little more than a second ahead.
      const due = new Date(Math.ceil((Date.now() + 1_500) / 1_000) * 1_000);
      await deployProcess(client(), id, timerCatchProcess(id, `<bpmn:timeDate>${due.toISOString().replace('.000Z', 'Z')}</bpmn:timeDate>`));
      await withResult(id);
      expect(Date.now()).toBeGreaterThanOrEqual(due.getTime());
    });
  });

  describe('timer boundary events on a service task', () => {
    const boundaryProcess = (id: string, timer: string, interrupting: boolean, types: { work: string; late: string }) =>
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Timer" attachedToRef="Task_Work" cancelActivity="${interrupting}">
      <bpmn:timerEventDefinition id="TimerDefinition_Boundary">${timer}</bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Late" sourceRef="Boundary_Timer" targetRef="Task_Late" />
    ${serviceTask('Task_Late', types.late)}
    <bpmn:sequenceFlow id="Flow_Late_End" sourceRef="Task_Late" targetRef="EndEvent_Late" />
    <bpmn:endEvent id="EndEvent_Late" />`,
      );

    it('interrupting: when the timer fires the job can no longer be completed and the instance takes the timer path', async () => {
      const id = uniqueId('Process_TimerInterrupt');
      const types = { work: uniqueId('deadline.work'), late: uniqueId('deadline.escalate') };
      await deployProcess(client(), id, boundaryProcess(id, '<bpmn:timeDuration>PT1S</bpmn:timeDuration>', true, types));
      const result = withResult(id, { orderId: 'o-2' });

      const [work] = await takeJobs(client(), types.work);
      const [late] = await takeJobs(client(), types.late);
      expect(late!.processInstanceKey).toBe(work!.processInstanceKey);
      expect((await grpcRefusal(client().completeJob({ jobKey: work!.key, variables: {} }))).code).toBe(5);

      await client().completeJob({ jobKey: late!.key, variables: { escalated: true } });
      expect((await result).variables).toEqual({ orderId: 'o-2', escalated: true });
    });

    it('non-interrupting cycle R2/PT1S: fires twice while the task stays open', async () => {
      const id = uniqueId('Process_TimerCycle');
      const types = { work: uniqueId('reminder.work'), late: uniqueId('reminder.notify') };
      await deployProcess(client(), id, boundaryProcess(id, '<bpmn:timeCycle>R2/PT1S</bpmn:timeCycle>', false, types));
      const result = withResult(id, { orderId: 'o-3' });

      const [work] = await takeJobs(client(), types.work);
      const reminders = await takeJobs(client(), types.late, 2);
      expect(reminders.every((r) => r.processInstanceKey === work!.processInstanceKey)).toBe(true);
      // Two repetitions, then no more: a third would have come a second after the second.
      expect(await jobsNow(client(), types.late, 2_500)).toEqual([]);

      for (const reminder of reminders) await client().completeJob({ jobKey: reminder.key, variables: {} });
      await client().completeJob({ jobKey: work!.key, variables: { done: true } });
      expect((await result).variables).toEqual({ orderId: 'o-3', done: true });
    });
  });

  it('a timer start event with cycle R1/PT1S creates one instance', async () => {
    const id = uniqueId('Process_TimerStart');
    const type = uniqueId('scheduled.work');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_Timer">
      <bpmn:timerEventDefinition id="TimerDefinition_Start"><bpmn:timeCycle>R1/PT1S</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_Timer" targetRef="Task_Work" />
    ${serviceTask('Task_Work', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );

    const [job] = await takeJobs(client(), type);
    expect(job).toMatchObject({ bpmnProcessId: id, elementId: 'Task_Work', processDefinitionVersion: 1 });
    await client().completeJob({ jobKey: job!.key, variables: {} });
    expect(await jobsNow(client(), type, 2_500)).toEqual([]);
  });

  // Camunda's controlled clock (PUT /v2/clock; a real Zeebe needs ZEEBE_CLOCK_CONTROLLED=true):
  // long timers are tested by moving the engine's time, not by waiting.
  describe('with the engine clock pinned', () => {
    const DAY = 24 * 3600_000;
    const pin = async (at: number) => expect((await suite.restCall('PUT', '/clock', { timestamp: at })).status).toBe(204);
    afterEach(async () => {
      await suite.restCall('POST', '/clock/reset');
    });

    it('a 30-day reminder on an open task: pinned a day short nothing fires, pinned past it the reminder path runs once', async () => {
      const id = uniqueId('Process_ThirtyDays');
      const types = { work: uniqueId('payment.wait'), late: uniqueId('payment.remind') };
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Remind" attachedToRef="Task_Work" cancelActivity="false">
      <bpmn:timerEventDefinition id="TimerDefinition_Remind"><bpmn:timeDuration>P30D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Remind" sourceRef="Boundary_Remind" targetRef="Task_Remind" />
    ${serviceTask('Task_Remind', types.late)}
    <bpmn:sequenceFlow id="Flow_Remind_End" sourceRef="Task_Remind" targetRef="EndEvent_Remind" />
    <bpmn:endEvent id="EndEvent_Remind" />`,
        ),
      );
      const startedAt = Date.now();
      const { processInstanceKey } = await client().createProcessInstance({ bpmnProcessId: id, variables: { invoice: 'INV-30' } });
      const [work] = await takeJobs(client(), types.work);
      await pin(startedAt + 29 * DAY);
      expect(await jobsNow(client(), types.late, 800)).toEqual([]);
      await pin(startedAt + 30 * DAY + 5_000);
      const [reminder] = await takeJobs(client(), types.late);
      expect(reminder).toMatchObject({ processInstanceKey, variables: { invoice: 'INV-30' } });
      expect(await jobsNow(client(), types.late, 500)).toEqual([]);
      await client().completeJob({ jobKey: reminder!.key, variables: {} });
      await client().cancelProcessInstance(work!.processInstanceKey);
    });

    it('a daily timer start event (R2/P1D) starts one instance per day that passes, two in all', async () => {
      const id = uniqueId('Process_Daily');
      const type = uniqueId('daily.report');
      const deployedAt = Date.now();
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_Daily">
      <bpmn:timerEventDefinition id="TimerDefinition_Daily"><bpmn:timeCycle>R2/P1D</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_Daily" targetRef="Task_Report" />
    ${serviceTask('Task_Report', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Report" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        ),
      );
      expect(await jobsNow(client(), type, 500)).toEqual([]);
      await pin(deployedAt + DAY + 5_000);
      const first = await takeJobs(client(), type);
      // (Done before the next day: a job still held then would time out and be handed out again.)
      await client().completeJob({ jobKey: first[0]!.key, variables: {} });
      await pin(deployedAt + 2 * DAY + 10_000);
      const second = await takeJobs(client(), type);
      await client().completeJob({ jobKey: second[0]!.key, variables: {} });
      expect(new Set([...first, ...second].map((j) => j.processInstanceKey)).size).toBe(2);
      await pin(deployedAt + 5 * DAY);
      expect(await jobsNow(client(), type, 800)).toEqual([]);
    });
  });
});

/** start → timer catch event → end */
const timerCatchProcess = (id: string, timer: string) =>
  bpmn(
    id,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Timer_Wait" />
    <bpmn:intermediateCatchEvent id="Timer_Wait"><bpmn:timerEventDefinition id="TimerDefinition_Wait">${timer}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Timer_Wait" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
  );
