import { describe, expect, it } from 'vitest';
import {
  bpmn,
  deployProcess,
  eventually,
  externalZeebe,
  grpcRefusal,
  jobsNow,
  openIncidents,
  serviceTask,
  takeJobs,
  uniqueId,
  useZeebeTarget,
} from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Messages that are not about buffering carry a TTL, so they correlate whether or not the
// subscription is already open when they arrive.
describe('Zeebe conformance: messages', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;
  const publish = (name: string, correlationKey: string, variables: Record<string, any> = {}, timeToLive = 10_000, messageId?: string) =>
    client().publishMessage({ name, correlationKey, variables, timeToLive, ...(messageId ? { messageId } : {}) });

  describe('intermediate message catch event', () => {
    it('correlates by the FEEL correlation key and merges the message variables into the instance', async () => {
      const id = uniqueId('Process_Catch');
      const name = uniqueId('payment-received');
      await deployProcess(client(), id, catchProcess(id, name));
      const [keyA, keyB] = [uniqueId('order-a'), uniqueId('order-b')];
      const a = withResult(id, { orderId: keyA });
      const b = withResult(id, { orderId: keyB });
      let aCompleted = false;
      a.then(() => (aCompleted = true)).catch(() => undefined);

      const published = await publish(name, keyB, { paidAmount: 10 });
      expect(published.key).toMatch(/^\d+$/);
      expect((await b).variables).toEqual({ orderId: keyB, paidAmount: 10 });
      expect(aCompleted).toBe(false);

      await publish(name, keyA, { paidAmount: 20 });
      expect((await a).variables).toEqual({ orderId: keyA, paidAmount: 20 });
    });

    it('buffers a message published before the subscription exists (timeToLive) and correlates it when the instance arrives', async () => {
      const id = uniqueId('Process_Buffered');
      const name = uniqueId('payment-received');
      await deployProcess(client(), id, catchProcess(id, name));
      const key = uniqueId('order');

      await publish(name, key, { paidAmount: 30 }, 30_000);
      const result = await client().createProcessInstanceWithResult({ bpmnProcessId: id, variables: { orderId: key }, requestTimeout: 30_000 });
      expect(result.variables).toEqual({ orderId: key, paidAmount: 30 });
    });

    it('does not buffer a message with timeToLive 0', async () => {
      const id = uniqueId('Process_Unbuffered');
      const name = uniqueId('payment-received');
      const typeAfter = uniqueId('paid.after');
      await deployProcess(client(), id, catchProcess(id, name, typeAfter));
      const key = uniqueId('order');

      await publish(name, key, { attempt: 1 }, 0);
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: { orderId: key } });
      expect(await jobsNow(client(), typeAfter, 1_500)).toEqual([]);

      await publish(name, key, { attempt: 2 });
      const [after] = await takeJobs(client(), typeAfter);
      expect(after).toMatchObject({ processInstanceKey: instance.processInstanceKey, variables: { orderId: key, attempt: 2 } });
      await client().completeJob({ jobKey: after!.key, variables: {} });
    });

    it('correlates a buffered message to one instance of a process only, the oldest message first', async () => {
      const id = uniqueId('Process_Cardinality');
      const name = uniqueId('payment-received');
      const typeAfter = uniqueId('cardinality.after');
      await deployProcess(client(), id, catchProcess(id, name, typeAfter));
      const key = uniqueId('order');
      await publish(name, key, { seq: 1 }, 30_000);
      await publish(name, key, { seq: 2 }, 30_000);

      for (const seq of [1, 2]) {
        const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: { orderId: key } });
        const [after] = await takeJobs(client(), typeAfter);
        expect(after).toMatchObject({ processInstanceKey: instance.processInstanceKey, variables: { orderId: key, seq } });
        await client().completeJob({ jobKey: after!.key, variables: {} });
      }

      // Both buffered messages went to this process already: a third instance waits.
      const third = await client().createProcessInstance({ bpmnProcessId: id, variables: { orderId: key } });
      expect(await jobsNow(client(), typeAfter, 1_500)).toEqual([]);
      await client().cancelProcessInstance(third.processInstanceKey);
    });

    it.skipIf(externalZeebe)('a null correlation key raises EXTRACT_VALUE_ERROR; resolving it opens the subscription (embedded)', async () => {
      const id = uniqueId('Process_NoKey');
      const name = uniqueId('payment-received');
      const typeAfter = uniqueId('nokey.after');
      await deployProcess(client(), id, catchProcess(id, name, typeAfter));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });

      const [incident] = await eventually(async () => {
        const open = await openIncidents(suite, instance.processInstanceKey);
        expect(open).toHaveLength(1);
        return open;
      });
      expect(incident).toMatchObject({ element_id: 'Catch_Paid', error_type: 'EXTRACT_VALUE_ERROR', job_key: null });

      const key = uniqueId('order');
      await client().setVariables({ elementInstanceKey: instance.processInstanceKey, variables: { orderId: key }, local: false });
      await client().resolveIncident({ incidentKey: incident!.key });
      await publish(name, key, { paidAmount: 5 });
      const [after] = await takeJobs(client(), typeAfter);
      expect(after).toMatchObject({ processInstanceKey: instance.processInstanceKey, variables: { orderId: key, paidAmount: 5 } });
      await client().completeJob({ jobKey: after!.key, variables: {} });
    });

    it('refuses a second message with the same name, correlation key and messageId while the first is buffered (ALREADY_EXISTS)', async () => {
      const name = uniqueId('payment-received');
      const key = uniqueId('order');

      await publish(name, key, { paidAmount: 1 }, 60_000, 'payment-1');
      const duplicate = await grpcRefusal(publish(name, key, { paidAmount: 1 }, 60_000, 'payment-1'));
      expect(duplicate.code).toBe(6);
      // Uniqueness is per name, correlation key and id.
      await publish(name, key, { paidAmount: 2 }, 60_000, 'payment-2');
      await publish(name, uniqueId('other-order'), { paidAmount: 1 }, 60_000, 'payment-1');
    });
  });

  it('a message start event creates an instance carrying the message variables', async () => {
    const id = uniqueId('Process_MessageStart');
    const name = uniqueId('order-placed');
    const type = uniqueId('placed.work');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_Placed"><bpmn:messageEventDefinition id="MessageDefinition_Placed" messageRef="Message_Placed" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_Placed" targetRef="Task_Work" />
    ${serviceTask('Task_Work', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        '',
        `  <bpmn:message id="Message_Placed" name="${name}" />`,
      ),
    );
    const key = uniqueId('order');

    // A real Zeebe opens start-event subscriptions on every partition as the deployment reaches it;
    // while the instance runs, a repeated message with the same correlation key starts no second one.
    const [job] = await eventually(async () => {
      await publish(name, key, { customer: 'c-1' }, 0);
      return takeJobs(client(), type, 1, { deadlineMs: 1_000 });
    });
    expect(job).toMatchObject({ bpmnProcessId: id, elementId: 'Task_Work', variables: { customer: 'c-1' } });
    await client().completeJob({ jobKey: job!.key, variables: {} });
  });

  it('a receive task waits for its message, then continues with the message variables', async () => {
    const id = uniqueId('Process_ReceiveTask');
    const name = uniqueId('parcel-shipped');
    const typeAfter = uniqueId('shipped.after');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_AwaitShipment" />
    <bpmn:receiveTask id="Task_AwaitShipment" messageRef="Message_Shipped" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_AwaitShipment" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        '',
        subscribedMessage('Message_Shipped', name),
      ),
    );
    const key = uniqueId('order');
    const result = withResult(id, { orderId: key });
    expect(await jobsNow(client(), typeAfter, 1_000)).toEqual([]);

    await publish(name, key, { trackingNo: 'T-1' });
    const [after] = await takeJobs(client(), typeAfter);
    expect(after!.variables).toEqual({ orderId: key, trackingNo: 'T-1' });
    await client().completeJob({ jobKey: after!.key, variables: {} });
    expect((await result).variables).toEqual({ orderId: key, trackingNo: 'T-1' });
  });

  describe('message boundary events on a service task', () => {
    const boundaryProcess = (id: string, name: string, types: { work: string; handle: string }, interrupting: boolean) =>
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Message" attachedToRef="Task_Work" cancelActivity="${interrupting}">
      <bpmn:messageEventDefinition id="MessageDefinition_Boundary" messageRef="Message_Boundary" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Boundary" sourceRef="Boundary_Message" targetRef="Task_Handle" />
    ${serviceTask('Task_Handle', types.handle)}
    <bpmn:sequenceFlow id="Flow_Boundary_End" sourceRef="Task_Handle" targetRef="EndEvent_Boundary" />
    <bpmn:endEvent id="EndEvent_Boundary" />`,
        '',
        subscribedMessage('Message_Boundary', name),
      );

    it('interrupting: the message cancels the task and the instance continues on the boundary path', async () => {
      const id = uniqueId('Process_MessageInterrupt');
      const name = uniqueId('order-cancelled');
      const types = { work: uniqueId('interrupt.work'), handle: uniqueId('interrupt.handle') };
      await deployProcess(client(), id, boundaryProcess(id, name, types, true));
      const key = uniqueId('order');
      const result = withResult(id, { orderId: key });

      const [work] = await takeJobs(client(), types.work);
      await publish(name, key, { cancelReason: 'customer' });
      const [handle] = await takeJobs(client(), types.handle);
      expect(handle!.variables).toEqual({ orderId: key, cancelReason: 'customer' });
      expect((await grpcRefusal(client().completeJob({ jobKey: work!.key, variables: {} }))).code).toBe(5);

      await client().completeJob({ jobKey: handle!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: key, cancelReason: 'customer' });
    });

    it('non-interrupting: the boundary path runs while the task stays active and completable', async () => {
      const id = uniqueId('Process_MessageNonInterrupt');
      const name = uniqueId('order-reminder');
      const types = { work: uniqueId('noninterrupt.work'), handle: uniqueId('noninterrupt.notify') };
      await deployProcess(client(), id, boundaryProcess(id, name, types, false));
      const key = uniqueId('order');
      const result = withResult(id, { orderId: key });

      const [work] = await takeJobs(client(), types.work);
      await publish(name, key, { note: 'please hurry' });
      const [notify] = await takeJobs(client(), types.handle);
      expect(notify!.variables).toEqual({ orderId: key, note: 'please hurry' });

      await client().completeJob({ jobKey: work!.key, variables: { done: true } });
      await client().completeJob({ jobKey: notify!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: key, note: 'please hurry', done: true });
    });
  });

  it('event-based gateway: whichever of message and timer comes first wins', async () => {
    const id = uniqueId('Process_EventGateway');
    const name = uniqueId('customer-replied');
    const [typeReply, typeTimeout] = [uniqueId('race.reply'), uniqueId('race.timeout')];
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_Race" />
    <bpmn:eventBasedGateway id="Gateway_Race" />
    <bpmn:sequenceFlow id="Flow_Reply" sourceRef="Gateway_Race" targetRef="Catch_Reply" />
    <bpmn:intermediateCatchEvent id="Catch_Reply"><bpmn:messageEventDefinition id="MessageDefinition_Reply" messageRef="Message_Reply" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_Reply_Task" sourceRef="Catch_Reply" targetRef="Task_OnReply" />
    ${serviceTask('Task_OnReply', typeReply)}
    <bpmn:sequenceFlow id="Flow_Reply_End" sourceRef="Task_OnReply" targetRef="EndEvent_Reply" />
    <bpmn:endEvent id="EndEvent_Reply" />
    <bpmn:sequenceFlow id="Flow_Timeout" sourceRef="Gateway_Race" targetRef="Timer_Timeout" />
    <bpmn:intermediateCatchEvent id="Timer_Timeout"><bpmn:timerEventDefinition id="TimerDefinition_Timeout"><bpmn:timeDuration>=timeout</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_Timeout_Task" sourceRef="Timer_Timeout" targetRef="Task_OnTimeout" />
    ${serviceTask('Task_OnTimeout', typeTimeout)}
    <bpmn:sequenceFlow id="Flow_Timeout_End" sourceRef="Task_OnTimeout" targetRef="EndEvent_Timeout" />
    <bpmn:endEvent id="EndEvent_Timeout" />`,
        '',
        subscribedMessage('Message_Reply', name),
      ),
    );

    // The message wins: it is already buffered when the gateway opens its subscriptions.
    const fast = uniqueId('order-fast');
    await publish(name, fast, { answer: 'yes' }, 30_000);
    const replied = await client().createProcessInstance({ bpmnProcessId: id, variables: { orderId: fast, timeout: 'PT30S' } });
    const [onReply] = await takeJobs(client(), typeReply);
    expect(onReply).toMatchObject({ processInstanceKey: replied.processInstanceKey, variables: { orderId: fast, answer: 'yes' } });
    await client().completeJob({ jobKey: onReply!.key, variables: {} });

    // The timer wins: nothing is published within a second; a late reply finds no subscription.
    const slow = uniqueId('order-slow');
    const timedOut = await client().createProcessInstance({ bpmnProcessId: id, variables: { orderId: slow, timeout: 'PT1S' } });
    const [onTimeout] = await takeJobs(client(), typeTimeout);
    expect(onTimeout!.processInstanceKey).toBe(timedOut.processInstanceKey);
    await publish(name, slow, { answer: 'too late' }, 0);
    expect(await jobsNow(client(), typeReply, 1_000)).toEqual([]);
    await client().completeJob({ jobKey: onTimeout!.key, variables: {} });
  });

  it("a message event subprocess whose correlation key the start variables lack: the instance is created with an incident on the process, and runs once it is resolved", async () => {
    const id = uniqueId('Process_EventSubKey');
    const name = uniqueId('complaint-withdrawn');
    const type = uniqueId('complaint.register');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Register" />
    ${serviceTask('Task_Register', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Register" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:subProcess id="Sub_Withdrawn" triggeredByEvent="true">
      <bpmn:startEvent id="Start_Withdrawn"><bpmn:messageEventDefinition id="MsgDef_W" messageRef="Message_W" /></bpmn:startEvent>
      <bpmn:sequenceFlow id="Flow_W" sourceRef="Start_Withdrawn" targetRef="End_W" />
      <bpmn:endEvent id="End_W" />
    </bpmn:subProcess>`,
        '',
        `  <bpmn:message id="Message_W" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="=complaintId" /></bpmn:extensionElements></bpmn:message>`,
      ),
    );
    const created = await client().createProcessInstance({ bpmnProcessId: id, variables: { customerId: 'C-1' } });
    const pik = created.processInstanceKey;
    const { body } = await eventually(async () => {
      const found = await suite.restCall('POST', '/incidents/search', { filter: { processInstanceKey: pik } });
      expect(found.body.items).toHaveLength(1);
      return found;
    });
    expect(body.items[0]).toMatchObject({ errorType: 'EXTRACT_VALUE_ERROR', elementId: id });
    expect(body.items[0].errorMessage).toContain('complaintId');
    // Nothing ran: the start event waits behind the incident.
    expect(await jobsNow(client(), type)).toEqual([]);

    const complaintId = uniqueId('CMP');
    await client().setVariables({ elementInstanceKey: pik, variables: { complaintId }, local: false });
    await client().resolveIncident({ incidentKey: body.items[0].incidentKey });
    const [job] = await takeJobs(client(), type);
    expect(job!.processInstanceKey).toBe(pik);
    // The subscription is open now: the withdrawal interrupts the instance.
    await publish(name, complaintId, {}, 0);
    await eventually(async () => expect((await suite.restCall('POST', '/process-instances/search', { filter: { processInstanceKey: pik } })).body.items[0]?.state).toBe('COMPLETED'));
    await expect(client().completeJob({ jobKey: job!.key, variables: {} })).rejects.toMatchObject({ code: 5 });
  });
});

/** A message whose subscriptions correlate on the instance's `orderId`. */
const subscribedMessage = (id: string, name: string) =>
  `  <bpmn:message id="${id}" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>`;

/** start → message catch event (correlation key `=orderId`) → [service task] → end */
const catchProcess = (id: string, name: string, typeAfter?: string) =>
  bpmn(
    id,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Catch_Paid" />
    <bpmn:intermediateCatchEvent id="Catch_Paid"><bpmn:messageEventDefinition id="MessageDefinition_Paid" messageRef="Message_Paid" /></bpmn:intermediateCatchEvent>
${
  typeAfter
    ? `    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Paid" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />`
    : `    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Paid" targetRef="EndEvent_1" />`
}
    <bpmn:endEvent id="EndEvent_1" />`,
    '',
    subscribedMessage('Message_Paid', name),
  );
