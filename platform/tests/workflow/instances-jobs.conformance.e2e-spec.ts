import { describe, expect, it } from 'vitest';
import {
  bpmn,
  createInstanceByDefinitionKey,
  deployProcess,
  eventually,
  externalZeebe,
  grpcRefusal,
  inBackground,
  jobsNow,
  oneTaskProcess,
  openIncidents,
  serviceTask,
  sleep,
  takeJobs,
  uniqueId,
  WORKER,
  XSI,
  useZeebeTarget,
  type ActivatedJob,
} from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
describe('Zeebe conformance: process instances and jobs', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  describe('creating instances', () => {
    it('creates an instance of the latest version, of a given version, or of a process definition key', async () => {
      const id = uniqueId('Process_Create');
      const typeV1 = uniqueId('create.v1');
      const typeV2 = uniqueId('create.v2');
      const v1 = await deployProcess(client(), id, oneTaskProcess(id, typeV1));
      const v2 = await deployProcess(client(), id, oneTaskProcess(id, typeV2));
      expect([v1.version, v2.version]).toEqual([1, 2]);

      const latest = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
      expect(latest).toMatchObject({ bpmnProcessId: id, version: 2, processDefinitionKey: v2.processDefinitionKey });
      expect(latest.processInstanceKey).toMatch(/^\d+$/);

      const pinned = await client().createProcessInstance({ bpmnProcessId: id, version: 1, variables: {} });
      expect(pinned).toMatchObject({ bpmnProcessId: id, version: 1, processDefinitionKey: v1.processDefinitionKey });

      const byKey = await createInstanceByDefinitionKey(client(), v1.processDefinitionKey);
      expect(byKey).toMatchObject({ bpmnProcessId: id, version: 1, processDefinitionKey: v1.processDefinitionKey });

      // Each instance runs the version it was created from: version 1's job type twice, version 2's once.
      const v1Jobs = await takeJobs(client(), typeV1, 2);
      expect(v1Jobs.map((j) => j.processInstanceKey).sort()).toEqual([pinned.processInstanceKey, byKey.processInstanceKey].sort());
      expect(v1Jobs.every((j) => j.processDefinitionVersion === 1)).toBe(true);
      const [v2Job] = await takeJobs(client(), typeV2);
      expect(v2Job).toMatchObject({ processInstanceKey: latest.processInstanceKey, processDefinitionVersion: 2, bpmnProcessId: id });

      for (const job of [...v1Jobs, v2Job!]) await client().completeJob({ jobKey: job.key, variables: {} });
    });

    it('refuses an unknown process with NOT_FOUND naming the process id', async () => {
      const unknown = uniqueId('Process_Unknown');
      const created = await grpcRefusal(client().createProcessInstance({ bpmnProcessId: unknown, variables: {} }));
      expect(created.code).toBe(5);
      expect(created.details).toContain(unknown);

      const withResultRefusal = await grpcRefusal(client().createProcessInstanceWithResult({ bpmnProcessId: unknown, variables: {}, requestTimeout: 5_000 }));
      expect(withResultRefusal.code).toBe(5);
      expect(withResultRefusal.details).toContain(unknown);
    });

    it('returns the final variables with createProcessInstanceWithResult, filtered by fetchVariables', async () => {
      const id = uniqueId('Process_Result');
      await deployProcess(client(), id, straightThrough(id));
      const variables = { orderId: 'o-1', amount: 42, lines: [{ sku: 'A-1', quantity: 2 }], rush: false };

      const all = await client().createProcessInstanceWithResult({ bpmnProcessId: id, variables, requestTimeout: 10_000 });
      expect(all).toMatchObject({ bpmnProcessId: id, version: 1 });
      expect(all.processInstanceKey).toMatch(/^\d+$/);
      expect(all.variables).toEqual(variables);

      const some = await client().createProcessInstanceWithResult({
        bpmnProcessId: id,
        variables,
        requestTimeout: 10_000,
        fetchVariables: ['orderId', 'rush'],
      });
      expect(some.variables).toEqual({ orderId: 'o-1', rush: false });
    });

    it('answers DEADLINE_EXCEEDED when the instance does not complete within requestTimeout', async () => {
      const id = uniqueId('Process_Slow');
      const type = uniqueId('slow.wait');
      await deployProcess(client(), id, oneTaskProcess(id, type));

      const refusal = await grpcRefusal(client().createProcessInstanceWithResult({ bpmnProcessId: id, variables: {}, requestTimeout: 1_000 }));
      expect(refusal.code).toBe(4);

      // The instance itself lives on: its job is there; cancel it.
      const [job] = await takeJobs(client(), type);
      await client().cancelProcessInstance(job!.processInstanceKey);
    });
  });

  describe('activating and completing jobs', () => {
    it('activates at most maxJobsToActivate jobs, with the fetched variables, custom headers and retries of the task', async () => {
      const id = uniqueId('Process_Headers');
      const type = uniqueId('headers.work');
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work" name="Work">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${type}" retries="5" />
        <zeebe:taskHeaders>
          <zeebe:header key="region" value="east" />
          <zeebe:header key="priority" value="high" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        ),
      );
      const instances = [];
      for (const n of [1, 2, 3]) instances.push(await client().createProcessInstance({ bpmnProcessId: id, variables: { n, secret: 'not fetched' } }));
      await sleep(500); // give a real Zeebe time to create all three jobs, so the limit is what stops the batch

      const batches: ActivatedJob[][] = [];
      await eventually(async () => {
        batches.push(await client().activateJobs({ type, worker: WORKER, timeout: 60_000, maxJobsToActivate: 2, requestTimeout: 1_000, fetchVariable: ['n'] }));
        expect(batches.flat()).toHaveLength(3);
      });
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(2);

      const jobs = batches.flat();
      expect(jobs.map((j) => j.processInstanceKey).sort()).toEqual(instances.map((i) => i.processInstanceKey).sort());
      for (const job of jobs) {
        expect(job).toMatchObject({ type, bpmnProcessId: id, elementId: 'Task_Work', retries: 5, worker: WORKER, processDefinitionVersion: 1 });
        expect(job.customHeaders).toEqual({ region: 'east', priority: 'high' });
        expect(Object.keys(job.variables)).toEqual(['n']);
        expect(job.elementInstanceKey).toMatch(/^\d+$/);
        expect(Number(job.deadline)).toBeGreaterThan(Date.now());
      }
      const byInstance = new Map(instances.map((instance, i) => [instance.processInstanceKey, i + 1]));
      for (const job of jobs) expect(job.variables.n).toBe(byInstance.get(job.processInstanceKey));

      for (const job of jobs) await client().completeJob({ jobKey: job.key, variables: {} });
    });

    it('answers a long-polling activation with a job created after the request, and an empty list when none comes', async () => {
      const id = uniqueId('Process_LongPoll');
      const type = uniqueId('longpoll.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));

      expect(await jobsNow(client(), type, 500)).toEqual([]);

      const waiting = inBackground(client().activateJobs({ type, worker: WORKER, timeout: 60_000, maxJobsToActivate: 1, requestTimeout: 15_000 }));
      await sleep(500);
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: { late: true } });
      const jobs = await waiting;
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ processInstanceKey: instance.processInstanceKey, variables: { late: true } });
      await client().completeJob({ jobKey: jobs[0]!.key, variables: {} });
    });

    it('activates a job again once it was not completed within its timeout', async () => {
      const id = uniqueId('Process_Timeout');
      const type = uniqueId('timeout.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });

      const [first] = await takeJobs(client(), type, 1, { timeout: 1_000 });
      expect(first!.processInstanceKey).toBe(instance.processInstanceKey);
      // Locked while its timeout runs.
      expect(await client().activateJobs({ type, worker: WORKER, timeout: 60_000, maxJobsToActivate: 1, requestTimeout: -1 })).toEqual([]);

      const [again] = await takeJobs(client(), type, 1, { deadlineMs: 45_000 });
      expect(again!.key).toBe(first!.key);
      await client().completeJob({ jobKey: again!.key, variables: {} });
    }, 60_000);

    it('propagates completeJob variables to the process scope, visible to the next task', async () => {
      const id = uniqueId('Process_Chain');
      const typeA = uniqueId('chain.a');
      const typeB = uniqueId('chain.b');
      await deployProcess(client(), id, twoTaskProcess(id, typeA, typeB));
      const result = withResult(id, { orderId: 'o-2', shared: 'start' });

      const [a] = await takeJobs(client(), typeA);
      expect(a!.variables).toEqual({ orderId: 'o-2', shared: 'start' });
      await client().completeJob({ jobKey: a!.key, variables: { fromA: 1, shared: 'a' } });

      const [b] = await takeJobs(client(), typeB);
      expect(b!.variables).toEqual({ orderId: 'o-2', shared: 'a', fromA: 1 });
      await client().completeJob({ jobKey: b!.key, variables: { shared: 'b', fromB: { ok: true } } });

      expect((await result).variables).toEqual({ orderId: 'o-2', shared: 'b', fromA: 1, fromB: { ok: true } });
    });

    it('refuses commands on a completed or unknown job, and variables for an unknown scope, with NOT_FOUND', async () => {
      const id = uniqueId('Process_Twice');
      const type = uniqueId('twice.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
      const [job] = await takeJobs(client(), type);
      await client().completeJob({ jobKey: job!.key, variables: {} });

      const jobKey = job!.key;
      expect((await grpcRefusal(client().completeJob({ jobKey, variables: {} }))).code).toBe(5);
      expect((await grpcRefusal(client().failJob({ jobKey, retries: 1, errorMessage: 'late', retryBackOff: 0 }))).code).toBe(5);
      expect((await grpcRefusal(client().throwError({ jobKey, errorCode: 'LATE' }))).code).toBe(5);
      expect((await grpcRefusal(client().updateJobRetries({ jobKey, retries: 3 }))).code).toBe(5);
      // Well-formed keys (partition 1) that nothing has.
      const unknownKey = String(2 ** 51 + 987_654_321);
      expect((await grpcRefusal(client().completeJob({ jobKey: unknownKey, variables: {} }))).code).toBe(5);
      expect((await grpcRefusal(client().setVariables({ elementInstanceKey: unknownKey, variables: { a: 1 }, local: false }))).code).toBe(5);
    });
  });

  describe('gateways', () => {
    /** amount > 100 → Task_High, amount > 10 → Task_Medium, otherwise the default flow to Task_Low (if `withDefault`). */
    const exclusiveProcess = (id: string, types: Record<'high' | 'medium' | 'low', string>, withDefault = true) => {
      const levels = withDefault ? (['High', 'Medium', 'Low'] as const) : (['High', 'Medium'] as const);
      const conditions: Record<string, string> = { High: '=amount &gt; 100', Medium: '=amount &gt; 10' };
      return bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_Start" sourceRef="StartEvent_1" targetRef="Gateway_Amount" />
    <bpmn:exclusiveGateway id="Gateway_Amount" ${withDefault ? 'default="Flow_Low"' : ''} />
${levels
  .map(
    (level) => `    <bpmn:sequenceFlow id="Flow_${level}" sourceRef="Gateway_Amount" targetRef="Task_${level}">${
      conditions[level] ? `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${conditions[level]}</bpmn:conditionExpression>` : ''
    }</bpmn:sequenceFlow>
    ${serviceTask(`Task_${level}`, types[level.toLowerCase() as 'high' | 'medium' | 'low'])}
    <bpmn:sequenceFlow id="Flow_${level}_End" sourceRef="Task_${level}" targetRef="EndEvent_${level}" />
    <bpmn:endEvent id="EndEvent_${level}" />`,
  )
  .join('\n')}`,
        XSI,
      );
    };

    it('exclusive gateway: takes the first flow whose condition holds, else the default flow', async () => {
      const id = uniqueId('Process_Exclusive');
      const types = { high: uniqueId('xor.high'), medium: uniqueId('xor.medium'), low: uniqueId('xor.low') };
      await deployProcess(client(), id, exclusiveProcess(id, types));

      // 500 satisfies both conditions: only the first one in the model is taken.
      const high = await client().createProcessInstance({ bpmnProcessId: id, variables: { amount: 500 } });
      const medium = await client().createProcessInstance({ bpmnProcessId: id, variables: { amount: 50 } });
      const low = await client().createProcessInstance({ bpmnProcessId: id, variables: { amount: 5 } });

      const taken: Record<string, string[]> = {};
      for (const level of ['high', 'medium', 'low'] as const) {
        const [job] = await takeJobs(client(), types[level]);
        taken[level] = [job!.processInstanceKey];
        await client().completeJob({ jobKey: job!.key, variables: {} });
      }
      expect(taken).toEqual({ high: [high.processInstanceKey], medium: [medium.processInstanceKey], low: [low.processInstanceKey] });
      for (const level of ['high', 'medium', 'low'] as const) expect(await jobsNow(client(), types[level])).toEqual([]);
    });

    it.skipIf(externalZeebe)('exclusive gateway: no match and no default flow → CONDITION_ERROR; resolving evaluates again (embedded)', async () => {
      const id = uniqueId('Process_NoMatch');
      const types = { high: uniqueId('nomatch.high'), medium: uniqueId('nomatch.medium'), low: uniqueId('nomatch.low') };
      await deployProcess(client(), id, exclusiveProcess(id, types, false));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: { amount: 1 } });

      const [incident] = await eventually(async () => {
        const open = await openIncidents(suite, instance.processInstanceKey);
        expect(open).toHaveLength(1);
        return open;
      });
      expect(incident).toMatchObject({ element_id: 'Gateway_Amount', error_type: 'CONDITION_ERROR', job_key: null });

      await client().setVariables({ elementInstanceKey: instance.processInstanceKey, variables: { amount: 50 }, local: false });
      await client().resolveIncident({ incidentKey: incident!.key });
      const [medium] = await takeJobs(client(), types.medium);
      expect(medium!.processInstanceKey).toBe(instance.processInstanceKey);
      await client().completeJob({ jobKey: medium!.key, variables: {} });
    });

    it('parallel gateway: both branches are activatable together and the join continues once', async () => {
      const id = uniqueId('Process_Parallel');
      const [typeA, typeB, typeAfter] = [uniqueId('and.a'), uniqueId('and.b'), uniqueId('and.after')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_Fork" />
    <bpmn:parallelGateway id="Gateway_Fork" />
    <bpmn:sequenceFlow id="Flow_A" sourceRef="Gateway_Fork" targetRef="Task_A" />
    <bpmn:sequenceFlow id="Flow_B" sourceRef="Gateway_Fork" targetRef="Task_B" />
    ${serviceTask('Task_A', typeA)}
    ${serviceTask('Task_B', typeB)}
    <bpmn:sequenceFlow id="Flow_A_Join" sourceRef="Task_A" targetRef="Gateway_Join" />
    <bpmn:sequenceFlow id="Flow_B_Join" sourceRef="Task_B" targetRef="Gateway_Join" />
    <bpmn:parallelGateway id="Gateway_Join" />
    <bpmn:sequenceFlow id="Flow_After" sourceRef="Gateway_Join" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_End" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        ),
      );
      const result = withResult(id, { orderId: 'o-3' });

      // Both jobs are in hand before either is completed.
      const [a] = await takeJobs(client(), typeA);
      const [b] = await takeJobs(client(), typeB);
      expect(a!.processInstanceKey).toBe(b!.processInstanceKey);

      await client().completeJob({ jobKey: a!.key, variables: { a: 1 } });
      expect(await jobsNow(client(), typeAfter, 1_000)).toEqual([]);
      await client().completeJob({ jobKey: b!.key, variables: { b: 2 } });

      const [after] = await takeJobs(client(), typeAfter);
      expect(after!.variables).toEqual({ orderId: 'o-3', a: 1, b: 2 });
      expect(await jobsNow(client(), typeAfter, 1_000)).toEqual([]);
      await client().completeJob({ jobKey: after!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: 'o-3', a: 1, b: 2 });
    });

    it('inclusive gateway: forks along every flow whose condition holds', async () => {
      const id = uniqueId('Process_Inclusive');
      const [typeBig, typeVip, typeRefund] = [uniqueId('or.big'), uniqueId('or.vip'), uniqueId('or.refund')];
      const branch = (name: string, condition: string, type: string) => `
    <bpmn:sequenceFlow id="Flow_${name}" sourceRef="Gateway_Fork" targetRef="Task_${name}">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    ${serviceTask(`Task_${name}`, type)}
    <bpmn:sequenceFlow id="Flow_${name}_End" sourceRef="Task_${name}" targetRef="EndEvent_${name}" />
    <bpmn:endEvent id="EndEvent_${name}" />`;
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_Fork" />
    <bpmn:inclusiveGateway id="Gateway_Fork" />
    ${branch('Big', '=amount &gt; 10', typeBig)}
    ${branch('Vip', '=vip', typeVip)}
    ${branch('Refund', '=amount &lt; 0', typeRefund)}`,
          XSI,
        ),
      );
      const result = withResult(id, { amount: 50, vip: true });

      const [big] = await takeJobs(client(), typeBig);
      const [vip] = await takeJobs(client(), typeVip);
      expect(big!.processInstanceKey).toBe(vip!.processInstanceKey);
      expect(await jobsNow(client(), typeRefund)).toEqual([]);

      await client().completeJob({ jobKey: big!.key, variables: {} });
      await client().completeJob({ jobKey: vip!.key, variables: {} });
      expect((await result).variables).toEqual({ amount: 50, vip: true });
    });
  });

  describe('variables and scopes', () => {
    it('zeebe:ioMapping: FEEL inputs are local to the task; only outputs reach the process scope', async () => {
      const id = uniqueId('Process_IoMapping');
      const type = uniqueId('io.work');
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Price" />
    <bpmn:serviceTask id="Task_Price">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${type}" />
        <zeebe:ioMapping>
          <zeebe:input source="=order.amount" target="amount" />
          <zeebe:input source="=upper case(order.currency)" target="currency" />
          <zeebe:output source="=amount * 2" target="doubled" />
          <zeebe:output source="=priced.total" target="total" />
        </zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Price" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        ),
      );
      const order = { amount: 10, currency: 'eur' };
      const result = withResult(id, { order });

      const [job] = await takeJobs(client(), type);
      expect(job!.variables).toEqual({ order, amount: 10, currency: 'EUR' });
      await client().completeJob({ jobKey: job!.key, variables: { priced: { total: 12.5 }, scratch: 'worker only' } });

      // Neither the local inputs nor the job's unmapped variables leak to the process scope.
      expect((await result).variables).toEqual({ order, doubled: 20, total: 12.5 });
    });

    it('embedded subprocess: runs its tasks, keeps its local variables, and continues after it', async () => {
      const id = uniqueId('Process_Subprocess');
      const [typeInner, typeAfter] = [uniqueId('sub.inner'), uniqueId('sub.after')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="SubProcess_Fulfil" />
    <bpmn:subProcess id="SubProcess_Fulfil">
      <bpmn:extensionElements>
        <zeebe:ioMapping><zeebe:input source="=&quot;sub-&quot; + orderId" target="subRef" /></zeebe:ioMapping>
      </bpmn:extensionElements>
      <bpmn:startEvent id="StartEvent_Sub" />
      <bpmn:sequenceFlow id="Flow_Sub_1" sourceRef="StartEvent_Sub" targetRef="Task_Inner" />
      ${serviceTask('Task_Inner', typeInner)}
      <bpmn:sequenceFlow id="Flow_Sub_2" sourceRef="Task_Inner" targetRef="EndEvent_Sub" />
      <bpmn:endEvent id="EndEvent_Sub" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="SubProcess_Fulfil" targetRef="Task_After" />
    ${serviceTask('Task_After', typeAfter)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        ),
      );
      const result = withResult(id, { orderId: 'o-4' });

      const [inner] = await takeJobs(client(), typeInner);
      expect(inner).toMatchObject({ elementId: 'Task_Inner', variables: { orderId: 'o-4', subRef: 'sub-o-4' } });
      await client().completeJob({ jobKey: inner!.key, variables: { packed: true } });

      const [after] = await takeJobs(client(), typeAfter);
      expect(after!.variables).toEqual({ orderId: 'o-4', packed: true });
      await client().completeJob({ jobKey: after!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: 'o-4', packed: true });
    });

    it('setVariables: non-local variables reach the process scope, local ones stay in the task scope', async () => {
      const id = uniqueId('Process_SetVariables');
      const [typeA, typeB] = [uniqueId('setvar.a'), uniqueId('setvar.b')];
      await deployProcess(client(), id, twoTaskProcess(id, typeA, typeB));
      const result = withResult(id, { orderId: 'o-5' });

      // Wait for the task: by then the instance exists and its first job can be activated.
      const [first] = await takeJobs(client(), typeA, 1, { timeout: 60_000 });
      const processInstanceKey = first!.processInstanceKey;
      await client().setVariables({ elementInstanceKey: processInstanceKey, variables: { fromOutside: 1 }, local: false });
      await client().setVariables({ elementInstanceKey: first!.elementInstanceKey, variables: { taskOnly: 'x' }, local: true });
      await client().setVariables({ elementInstanceKey: first!.elementInstanceKey, variables: { propagated: 'y' }, local: false });

      // Give the job back to see the variables a fresh activation gets.
      await client().failJob({ jobKey: first!.key, retries: 3, errorMessage: 'show me the variables again', retryBackOff: 0 });
      const [again] = await takeJobs(client(), typeA);
      expect(again!.key).toBe(first!.key);
      expect(again!.variables).toEqual({ orderId: 'o-5', fromOutside: 1, taskOnly: 'x', propagated: 'y' });
      await client().completeJob({ jobKey: again!.key, variables: {} });

      const [b] = await takeJobs(client(), typeB);
      expect(b!.variables).toEqual({ orderId: 'o-5', fromOutside: 1, propagated: 'y' });
      await client().completeJob({ jobKey: b!.key, variables: {} });
      expect((await result).variables).toEqual({ orderId: 'o-5', fromOutside: 1, propagated: 'y' });
    });
  });

  describe('ending instances', () => {
    it('terminate end event ends the instance while another branch still waits', async () => {
      const id = uniqueId('Process_Terminate');
      const [typeWait, typeGo] = [uniqueId('terminate.wait'), uniqueId('terminate.go')];
      await deployProcess(
        client(),
        id,
        bpmn(
          id,
          `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_Fork" />
    <bpmn:parallelGateway id="Gateway_Fork" />
    <bpmn:sequenceFlow id="Flow_Wait" sourceRef="Gateway_Fork" targetRef="Task_Wait" />
    <bpmn:sequenceFlow id="Flow_Go" sourceRef="Gateway_Fork" targetRef="Task_Go" />
    ${serviceTask('Task_Wait', typeWait)}
    <bpmn:sequenceFlow id="Flow_Wait_End" sourceRef="Task_Wait" targetRef="EndEvent_Wait" />
    <bpmn:endEvent id="EndEvent_Wait" />
    ${serviceTask('Task_Go', typeGo)}
    <bpmn:sequenceFlow id="Flow_Go_End" sourceRef="Task_Go" targetRef="EndEvent_Terminate" />
    <bpmn:endEvent id="EndEvent_Terminate"><bpmn:terminateEventDefinition id="TerminateDefinition_1" /></bpmn:endEvent>`,
        ),
      );
      const result = withResult(id, { orderId: 'o-6' });

      const [waiting] = await takeJobs(client(), typeWait);
      const [go] = await takeJobs(client(), typeGo);
      await client().completeJob({ jobKey: go!.key, variables: { terminatedBy: 'go' } });

      expect((await result).variables).toEqual({ orderId: 'o-6', terminatedBy: 'go' });
      expect((await grpcRefusal(client().completeJob({ jobKey: waiting!.key, variables: {} }))).code).toBe(5);
    });

    it('cancelProcessInstance: its jobs can no longer be completed, and a second cancel is NOT_FOUND', async () => {
      const id = uniqueId('Process_Cancel');
      const type = uniqueId('cancel.work');
      await deployProcess(client(), id, oneTaskProcess(id, type));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: {} });
      const [job] = await takeJobs(client(), type);

      await client().cancelProcessInstance(instance.processInstanceKey);
      expect((await grpcRefusal(client().completeJob({ jobKey: job!.key, variables: {} }))).code).toBe(5);
      expect(await jobsNow(client(), type)).toEqual([]);
      expect((await grpcRefusal(client().cancelProcessInstance(instance.processInstanceKey))).code).toBe(5);
    });
  });
});

/** start → end: completes as soon as it starts. */
const straightThrough = (id: string) =>
  bpmn(
    id,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
  );

/** start → Task_A → Task_B → end */
const twoTaskProcess = (id: string, typeA: string, typeB: string) =>
  bpmn(
    id,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_A" />
    ${serviceTask('Task_A', typeA)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_A" targetRef="Task_B" />
    ${serviceTask('Task_B', typeB)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_B" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
  );
