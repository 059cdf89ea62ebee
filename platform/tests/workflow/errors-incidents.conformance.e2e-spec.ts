import { describe, expect, it } from 'vitest';
import {
  bpmn,
  deployProcess,
  eventually,
  externalZeebe,
  grpcRefusal,
  jobsNow,
  oneTaskProcess,
  openIncidents,
  serviceTask,
  takeJobs,
  uniqueId,
  WORKER,
  useZeebeTarget,
} from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Incidents cannot be listed over gRPC, so the checks that read them run on the embedded engine only.
describe('Zeebe conformance: job failures, BPMN errors and incidents', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;
  const incidentsOf = (processInstanceKey: string, count = 1) =>
    eventually(async () => {
      const open = await openIncidents(suite, processInstanceKey);
      expect(open).toHaveLength(count);
      return open;
    });

  describe('failing jobs', () => {
    it('failJob with retries left: the job is activatable again, but not before its retry back-off', async () => {
      const id = uniqueId('Process_Retry');
      const type = uniqueId('retry.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      const result = withResult(id, { orderId: 'o-1' });

      const [job] = await takeJobs(client(), type);
      expect(job!.retries).toBe(3);
      const failedAt = Date.now();
      await client().failJob({ jobKey: job!.key, retries: 2, errorMessage: 'ERP timed out', retryBackOff: 2_000 });
      expect(await client().activateJobs({ type, worker: WORKER, timeout: 60_000, maxJobsToActivate: 1, requestTimeout: -1 })).toEqual([]);

      const [again] = await takeJobs(client(), type);
      expect(Date.now() - failedAt).toBeGreaterThanOrEqual(2_000);
      expect(again).toMatchObject({ key: job!.key, retries: 2, variables: { orderId: 'o-1' } });
      await client().completeJob({ jobKey: again!.key, variables: { booked: true } });
      expect((await result).variables).toEqual({ orderId: 'o-1', booked: true });
    });

    it('failJob with no retries left: the job is no longer activatable, completable or failable', async () => {
      const id = uniqueId('Process_NoRetries');
      const type = uniqueId('noretries.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });

      const [job] = await takeJobs(client(), type);
      await client().failJob({ jobKey: job!.key, retries: 0, errorMessage: 'ERP unreachable', retryBackOff: 0 });
      expect(await jobsNow(client(), type, 1_000)).toEqual([]);
      // A failed job waits for its incident: FAILED_PRECONDITION (9), not NOT_FOUND.
      expect((await grpcRefusal(client().completeJob({ jobKey: job!.key, variables: {} }))).code).toBe(9);
      expect((await grpcRefusal(client().failJob({ jobKey: job!.key, retries: 0, errorMessage: 'again', retryBackOff: 0 }))).code).toBe(9);
      // Retries must be positive.
      expect((await grpcRefusal(client().updateJobRetries({ jobKey: job!.key, retries: 0 }))).code).toBe(3);
      await client().cancelProcessInstance(instance.processInstanceKey);
    });

    it.skipIf(externalZeebe)('no retries left: incident JOB_NO_RETRIES; updateJobRetries + resolveIncident resume the instance (embedded)', async () => {
      const id = uniqueId('Process_Incident');
      const type = uniqueId('incident.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      const result = withResult(id, { orderId: 'o-2' });

      const [job] = await takeJobs(client(), type);
      await client().failJob({ jobKey: job!.key, retries: 0, errorMessage: 'ERP unreachable', retryBackOff: 0 });
      const [incident] = await incidentsOf(job!.processInstanceKey);
      expect(incident).toMatchObject({ element_id: 'Task_Work', error_type: 'JOB_NO_RETRIES', error_message: 'ERP unreachable', job_key: job!.key });

      await client().updateJobRetries({ jobKey: job!.key, retries: 2 });
      await client().resolveIncident({ incidentKey: incident!.key });
      expect(await openIncidents(suite, job!.processInstanceKey)).toEqual([]);

      expect((await grpcRefusal(client().resolveIncident({ incidentKey: incident!.key }))).code).toBe(5);

      const [again] = await takeJobs(client(), type);
      expect(again).toMatchObject({ key: job!.key, retries: 2 });
      await client().completeJob({ jobKey: again!.key, variables: { booked: true } });
      expect((await result).variables).toEqual({ orderId: 'o-2', booked: true });
    });
  });

  describe('throwing BPMN errors', () => {
    it('an error boundary event on the task catches a matching errorCode and continues on its path with the error variables', async () => {
      const id = uniqueId('Process_BoundaryError');
      const [type, typeHandle] = [uniqueId('credit.check'), uniqueId('credit.rejected')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Check" />
    ${serviceTask('Task_Check', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Check" targetRef="EndEvent_Approved" />
    <bpmn:endEvent id="EndEvent_Approved" />
    <bpmn:boundaryEvent id="Boundary_Rejected" attachedToRef="Task_Check">
      <bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=reason" target="reason" /></zeebe:ioMapping></bpmn:extensionElements>
      <bpmn:errorEventDefinition id="ErrorDefinition_Rejected" errorRef="Error_Rejected" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Rejected" sourceRef="Boundary_Rejected" targetRef="Task_Handle" />
    ${serviceTask('Task_Handle', typeHandle)}
    <bpmn:sequenceFlow id="Flow_Rejected_End" sourceRef="Task_Handle" targetRef="EndEvent_Rejected" />
    <bpmn:endEvent id="EndEvent_Rejected" />`,
          '',
          REJECTED_ERROR,
        ),
      );
      const result = withResult(id, { orderId: 'o-3' });

      const [job] = await takeJobs(client(), type);
      await client().throwError({ jobKey: job!.key, errorCode: 'CREDIT_REJECTED', errorMessage: 'over the credit limit', variables: { reason: 'limit' } });

      const [handle] = await takeJobs(client(), typeHandle);
      expect(handle!.variables).toEqual({ orderId: 'o-3', reason: 'limit' });
      expect((await grpcRefusal(client().completeJob({ jobKey: job!.key, variables: {} }))).code).toBe(5);
      await client().completeJob({ jobKey: handle!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: 'o-3', reason: 'limit' });
    });

    it('an error boundary event on the enclosing subprocess catches an error thrown by a task inside it', async () => {
      const id = uniqueId('Process_SubprocessBoundary');
      const [type, typeHandle, typeAfter] = [uniqueId('sub.check'), uniqueId('sub.rejected'), uniqueId('sub.after')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="SubProcess_Check" />
    <bpmn:subProcess id="SubProcess_Check">
      <bpmn:startEvent id="StartEvent_Sub" />
      <bpmn:sequenceFlow id="Flow_Sub_1" sourceRef="StartEvent_Sub" targetRef="Task_Check" />
      ${serviceTask('Task_Check', type)}
      <bpmn:sequenceFlow id="Flow_Sub_2" sourceRef="Task_Check" targetRef="EndEvent_Sub" />
      <bpmn:endEvent id="EndEvent_Sub" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="SubProcess_Check" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Rejected" attachedToRef="SubProcess_Check">
      <bpmn:errorEventDefinition id="ErrorDefinition_Rejected" errorRef="Error_Rejected" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Rejected" sourceRef="Boundary_Rejected" targetRef="Task_Handle" />
    ${serviceTask('Task_Handle', typeHandle)}
    <bpmn:sequenceFlow id="Flow_Rejected_End" sourceRef="Task_Handle" targetRef="EndEvent_Rejected" />
    <bpmn:endEvent id="EndEvent_Rejected" />`,
          '',
          REJECTED_ERROR,
        ),
      );
      const result = withResult(id, { orderId: 'o-4' });

      const [job] = await takeJobs(client(), type);
      await client().throwError({ jobKey: job!.key, errorCode: 'CREDIT_REJECTED', errorMessage: 'over the credit limit' });

      const [handle] = await takeJobs(client(), typeHandle);
      expect(handle!.processInstanceKey).toBe(job!.processInstanceKey);
      expect((await grpcRefusal(client().completeJob({ jobKey: job!.key, variables: {} }))).code).toBe(5);
      await client().completeJob({ jobKey: handle!.key, variables: { handled: true } });
      expect((await result).variables).toEqual({ orderId: 'o-4', handled: true });
      expect(await jobsNow(client(), typeAfter)).toEqual([]);
    });

    it('an error event subprocess catches an error thrown by a task of its process', async () => {
      const id = uniqueId('Process_ErrorEventSubprocess');
      const [type, typeHandle] = [uniqueId('evsub.check'), uniqueId('evsub.rejected')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Check" />
    ${serviceTask('Task_Check', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Check" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:subProcess id="EventSubProcess_Rejected" triggeredByEvent="true">
      <bpmn:startEvent id="StartEvent_Rejected" isInterrupting="true">
        <bpmn:errorEventDefinition id="ErrorDefinition_Rejected" errorRef="Error_Rejected" />
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="Flow_Rejected" sourceRef="StartEvent_Rejected" targetRef="Task_Handle" />
      ${serviceTask('Task_Handle', typeHandle)}
      <bpmn:sequenceFlow id="Flow_Rejected_End" sourceRef="Task_Handle" targetRef="EndEvent_Rejected" />
      <bpmn:endEvent id="EndEvent_Rejected" />
    </bpmn:subProcess>`,
          '',
          REJECTED_ERROR,
        ),
      );
      const result = withResult(id, { orderId: 'o-5' });

      const [job] = await takeJobs(client(), type);
      await client().throwError({ jobKey: job!.key, errorCode: 'CREDIT_REJECTED', errorMessage: 'over the credit limit' });

      const [handle] = await takeJobs(client(), typeHandle);
      expect(handle).toMatchObject({ processInstanceKey: job!.processInstanceKey, elementId: 'Task_Handle' });
      expect((await grpcRefusal(client().completeJob({ jobKey: job!.key, variables: {} }))).code).toBe(5);
      await client().completeJob({ jobKey: handle!.key, variables: { handled: true } });
      expect((await result).variables).toEqual({ orderId: 'o-5', handled: true });
    });

    it.skipIf(externalZeebe)('an error no catch event matches raises UNHANDLED_ERROR_EVENT on the task (embedded)', async () => {
      const id = uniqueId('Process_UnhandledError');
      const [type, typeHandle] = [uniqueId('unhandled.check'), uniqueId('unhandled.rejected')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Check" />
    ${serviceTask('Task_Check', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Check" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Rejected" attachedToRef="Task_Check">
      <bpmn:errorEventDefinition id="ErrorDefinition_Rejected" errorRef="Error_Rejected" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Rejected" sourceRef="Boundary_Rejected" targetRef="Task_Handle" />
    ${serviceTask('Task_Handle', typeHandle)}
    <bpmn:sequenceFlow id="Flow_Rejected_End" sourceRef="Task_Handle" targetRef="EndEvent_Rejected" />
    <bpmn:endEvent id="EndEvent_Rejected" />`,
          '',
          REJECTED_ERROR,
        ),
      );
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });

      const [job] = await takeJobs(client(), type);
      await client().throwError({ jobKey: job!.key, errorCode: 'WAREHOUSE_ON_FIRE', errorMessage: 'nobody models this' });

      const [incident] = await incidentsOf(instance.processInstanceKey);
      expect(incident).toMatchObject({ element_id: 'Task_Check', error_type: 'UNHANDLED_ERROR_EVENT', job_key: job!.key });
      expect(incident!.error_message).toContain('WAREHOUSE_ON_FIRE');
      expect(await jobsNow(client(), type)).toEqual([]);
      expect(await jobsNow(client(), typeHandle)).toEqual([]);
      await client().cancelProcessInstance(instance.processInstanceKey);
    });

    it('an error end event inside a subprocess is caught by the subprocess boundary event', async () => {
      const id = uniqueId('Process_ErrorEndEvent');
      const [typeInner, typeAfter] = [uniqueId('errend.inner'), uniqueId('errend.after')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="SubProcess_Reserve" />
    <bpmn:subProcess id="SubProcess_Reserve">
      <bpmn:startEvent id="StartEvent_Sub" />
      <bpmn:sequenceFlow id="Flow_Sub_1" sourceRef="StartEvent_Sub" targetRef="Task_Reserve" />
      ${serviceTask('Task_Reserve', typeInner)}
      <bpmn:sequenceFlow id="Flow_Sub_2" sourceRef="Task_Reserve" targetRef="EndEvent_OutOfStock" />
      <bpmn:endEvent id="EndEvent_OutOfStock">
        <bpmn:errorEventDefinition id="ErrorDefinition_Throw" errorRef="Error_OutOfStock" />
      </bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="SubProcess_Reserve" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_OutOfStock" attachedToRef="SubProcess_Reserve">
      <bpmn:errorEventDefinition id="ErrorDefinition_Catch" errorRef="Error_OutOfStock" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_Caught" sourceRef="Boundary_OutOfStock" targetRef="EndEvent_Caught" />
    <bpmn:endEvent id="EndEvent_Caught" />`,
          '',
          '  <bpmn:error id="Error_OutOfStock" name="Out of stock" errorCode="OUT_OF_STOCK" />',
        ),
      );
      const result = withResult(id, { orderId: 'o-6' });

      const [inner] = await takeJobs(client(), typeInner);
      await client().completeJob({ jobKey: inner!.key, variables: { shortSku: 'A-1' } });

      // The instance completes through the boundary path: the normal path would wait at Task_After.
      expect((await result).variables).toEqual({ orderId: 'o-6', shortSku: 'A-1' });
      expect(await jobsNow(client(), typeAfter)).toEqual([]);
    });
  });
});

const REJECTED_ERROR = '  <bpmn:error id="Error_Rejected" name="Credit rejected" errorCode="CREDIT_REJECTED" />';
