import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphqlClient } from '@channelflow/sdk/testing';
import { bpmn, deployProcess, eventually, oneTaskProcess, takeJobs, uniqueId, XSI, zeebeTarget } from './zeebe-target';

const LIST = `query ($id: String, $latest: Boolean) {
  processDefinitions(bpmnProcessId: $id, latestOnly: $latest) { total nodes { key bpmnProcessId version resourceName } }
}`;
const ONE = 'query ($key: ID!) { processDefinition(key: $key) { bpmnProcessId version xml } }';
const INSTANCES = `query ($id: String, $state: ProcessInstanceState, $businessKey: String) {
  processInstances(bpmnProcessId: $id, state: $state, businessKey: $businessKey) { total nodes { key state businessKey version } }
}`;
const INSTANCE = `query ($key: ID!) {
  processInstance(key: $key) {
    key bpmnProcessId state businessKey endedAt variables
    currentElements { elementId elementName elementType variables }
    history(pageSize: 100) { total nodes { elementId elementType intent } }
    incidents { key errorType state jobKey }
  }
}`;
const INCIDENTS = `query ($state: IncidentState, $instance: ID) {
  incidents(state: $state, processInstanceKey: $instance) { total nodes { key processInstanceKey elementId errorType errorMessage state jobKey resolvedAt } }
}`;
const COUNTERS = '{ workflowCounters { instancesStarted instancesCompleted instancesTerminated activeInstances jobsActivated jobsCompleted jobsFailed openIncidents messagesPublished } }';
const START = `mutation ($id: String!, $vars: JSON, $businessKey: String, $version: Int) {
  startProcessInstance(bpmnProcessId: $id, variables: $vars, businessKey: $businessKey, version: $version) { key bpmnProcessId version }
}`;
const CANCEL = 'mutation ($key: ID!) { cancelProcessInstance(key: $key) }';
const RESOLVE = 'mutation ($key: ID!, $retries: Int) { resolveIncident(key: $key, retries: $retries) }';
const SET_VARIABLES = 'mutation ($scope: ID!, $vars: JSON!, $local: Boolean) { setProcessVariables(scopeKey: $scope, variables: $vars, local: $local) }';
const PUBLISH = `mutation ($name: String!, $key: String!, $vars: JSON, $ttl: Int, $id: String) {
  publishMessage(name: $name, correlationKey: $key, variables: $vars, timeToLiveMs: $ttl, messageId: $id) { key }
}`;

describe.skipIf(Boolean(process.env.ZEEBE_ADDRESS))('process operations over GraphQL (staff)', () => {
  let target: Awaited<ReturnType<typeof zeebeTarget>>;
  let admin: GraphqlClient;
  let manager: GraphqlClient;
  beforeAll(async () => {
    target = await zeebeTarget();
    admin = await target.env!.asStaff('platform-admin');
    manager = await target.env!.asStaff('channel-manager');
  });
  afterAll(() => target?.close());

  describe('definitions', () => {
    const id = uniqueId('Process_Listed');
    let keys: string[] = [];
    beforeAll(async () => {
      const v1 = await deployProcess(target.client, id, oneTaskProcess(id));
      const v2 = await deployProcess(target.client, id, oneTaskProcess(id, 'demo.do-work', 'Second'));
      keys = [v1, v2].map((d) => d.processDefinitionKey);
    });

    it('lists every version, newest first, or only the latest', async () => {
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
      const { processDefinition } = await admin.query(ONE, { key: keys[0] });
      expect(processDefinition).toMatchObject({ bpmnProcessId: id, version: 1 });
      expect(processDefinition.xml).toContain(`<bpmn:process id="${id}"`);
      await admin.expectError('NOT_FOUND', ONE, { key: '2251799813999999' });
      await admin.expectError('BAD_INPUT', ONE, { key: 'abc' });
    });
  });

  describe('instances', () => {
    const id = uniqueId('Process_Operated');
    const jobType = `ops.work-${id.slice(-6).toLowerCase()}`;
    beforeAll(() => deployProcess(target.client, id, oneTaskProcess(id, jobType, 'Check the order')));

    it('starts an instance with a business key, shows where it waits, and its history once completed', async () => {
      const { startProcessInstance: started } = await admin.query(START, { id, vars: { amount: 1200 }, businessKey: 'SO-0001' });
      expect(started).toMatchObject({ bpmnProcessId: id, version: 1 });

      const listed = await manager.query(INSTANCES, { businessKey: 'SO-0001' });
      expect(listed.processInstances).toEqual({ total: 1, nodes: [{ key: started.key, state: 'ACTIVE', businessKey: 'SO-0001', version: 1 }] });

      const waiting = (await manager.query(INSTANCE, { key: started.key })).processInstance;
      expect(waiting).toMatchObject({ state: 'ACTIVE', endedAt: null, variables: { amount: 1200, businessKey: 'SO-0001' } });
      expect(waiting.currentElements).toEqual([{ elementId: 'Task_Work', elementName: 'Check the order', elementType: 'bpmn:ServiceTask', variables: {} }]);

      const [job] = await takeJobs(target.client, jobType);
      await target.client.completeJob({ jobKey: job!.key, variables: { approved: true } });

      const done = (await manager.query(INSTANCE, { key: started.key })).processInstance;
      expect(done).toMatchObject({ state: 'COMPLETED', variables: { amount: 1200, businessKey: 'SO-0001', approved: true }, currentElements: [] });
      expect(done.endedAt).not.toBeNull();
      expect(done.history.nodes.map((e: any) => `${e.intent} ${e.elementId}`)).toEqual([
        `ELEMENT_ACTIVATED ${id}`,
        'ELEMENT_ACTIVATED StartEvent_1',
        'ELEMENT_COMPLETED StartEvent_1',
        'SEQUENCE_FLOW_TAKEN Flow_1',
        'ELEMENT_ACTIVATED Task_Work',
        'ELEMENT_COMPLETED Task_Work',
        'SEQUENCE_FLOW_TAKEN Flow_2',
        'ELEMENT_ACTIVATED EndEvent_1',
        'ELEMENT_COMPLETED EndEvent_1',
        `ELEMENT_COMPLETED ${id}`,
      ]);
      const completed = await manager.query(INSTANCES, { id, state: 'COMPLETED' });
      expect(completed.processInstances.nodes.map((n: any) => n.key)).toContain(started.key);
      const active = await manager.query(INSTANCES, { id, state: 'ACTIVE' });
      expect(active.processInstances.nodes.map((n: any) => n.key)).not.toContain(started.key);
    });

    it('cancels a running instance; cancelling it again is NOT_FOUND with the engine\'s reason', async () => {
      const { startProcessInstance: started } = await admin.query(START, { id });
      expect(await admin.query(CANCEL, { key: started.key })).toEqual({ cancelProcessInstance: true });
      const cancelled = (await manager.query(INSTANCE, { key: started.key })).processInstance;
      expect(cancelled).toMatchObject({ state: 'TERMINATED', currentElements: [] });
      expect(cancelled.history.nodes.at(-1)).toEqual({ elementId: id, elementType: 'bpmn:Process', intent: 'ELEMENT_TERMINATED' });
      const error = await admin.expectError('NOT_FOUND', CANCEL, { key: started.key });
      expect(error.message).toContain(started.key);
    });

    it('refuses unknown processes and bad input without starting anything', async () => {
      const before = (await manager.query(COUNTERS)).workflowCounters.instancesStarted;
      const unknown = await admin.expectError('NOT_FOUND', START, { id: 'Process_Does_Not_Exist' });
      expect(unknown.message).toContain('Process_Does_Not_Exist');
      await admin.expectError('BAD_INPUT', START, { id, vars: [1, 2] });
      await admin.expectError('BAD_INPUT', START, { id, version: 0 });
      await admin.expectError('BAD_INPUT', INSTANCE, { key: '12a' });
      await admin.expectError('NOT_FOUND', INSTANCE, { key: '2251799813999999' });
      expect((await manager.query(COUNTERS)).workflowCounters.instancesStarted).toBe(before);
    });
  });

  describe('incidents', () => {
    it('shows a job incident, and resolving it with new retries lets the job run again', async () => {
      const id = uniqueId('Process_Incident');
      const jobType = `ops.fail-${id.slice(-6).toLowerCase()}`;
      await deployProcess(target.client, id, oneTaskProcess(id, jobType));
      const { startProcessInstance: started } = await admin.query(START, { id });
      const [job] = await takeJobs(target.client, jobType);
      await target.client.failJob({ jobKey: job!.key, retries: 0, errorMessage: 'ERP answered 503' });

      const open = await eventually(async () => {
        const { incidents } = await manager.query(INCIDENTS, { instance: started.key });
        expect(incidents.total).toBe(1);
        return incidents.nodes[0];
      });
      expect(open).toMatchObject({ elementId: 'Task_Work', errorType: 'JOB_NO_RETRIES', errorMessage: 'ERP answered 503', state: 'ACTIVE', jobKey: job!.key });
      expect((await manager.query(INSTANCE, { key: started.key })).processInstance.incidents).toEqual([
        { key: open.key, errorType: 'JOB_NO_RETRIES', state: 'ACTIVE', jobKey: job!.key },
      ]);
      const openBefore = (await manager.query(COUNTERS)).workflowCounters.openIncidents;
      expect(openBefore).toBeGreaterThanOrEqual(1);

      expect(await admin.query(RESOLVE, { key: open.key, retries: 2 })).toEqual({ resolveIncident: true });
      const [again] = await takeJobs(target.client, jobType);
      expect(again).toMatchObject({ key: job!.key, retries: 2 });
      await target.client.completeJob({ jobKey: again!.key });

      expect((await manager.query(INSTANCE, { key: started.key })).processInstance.state).toBe('COMPLETED');
      const resolved = await manager.query(INCIDENTS, { state: 'RESOLVED', instance: started.key });
      expect(resolved.incidents.nodes).toEqual([expect.objectContaining({ key: open.key, state: 'RESOLVED', resolvedAt: expect.any(String) })]);
      expect((await manager.query(COUNTERS)).workflowCounters.openIncidents).toBe(openBefore - 1);
      const twice = await admin.expectError('CONFLICT', RESOLVE, { key: open.key });
      expect(twice.message).toContain('already resolved');
    });

    it('a condition incident is fixed by setting the missing variable, then resolved', async () => {
      const id = uniqueId('Process_Condition');
      const xml = bpmn(
        id,
        `    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F0" sourceRef="Start" targetRef="Gateway" />
    <bpmn:exclusiveGateway id="Gateway" />
    <bpmn:sequenceFlow id="F_big" sourceRef="Gateway" targetRef="End_Big"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=amount &gt; 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F_small" sourceRef="Gateway" targetRef="End_Small"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=amount &lt;= 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="End_Big" />
    <bpmn:endEvent id="End_Small" />`,
        XSI,
      );
      await deployProcess(target.client, id, xml);
      const { startProcessInstance: started } = await admin.query(START, { id });
      const [incident] = (await manager.query(INCIDENTS, { instance: started.key })).incidents.nodes;
      expect(incident).toMatchObject({ elementId: 'Gateway', errorType: 'CONDITION_ERROR', state: 'ACTIVE', jobKey: null });

      await admin.expectError('BAD_INPUT', SET_VARIABLES, { scope: started.key, vars: 'amount=5' });
      expect(await admin.query(SET_VARIABLES, { scope: started.key, vars: { amount: 5000 } })).toEqual({ setProcessVariables: true });
      await admin.query(RESOLVE, { key: incident.key });
      const done = (await manager.query(INSTANCE, { key: started.key })).processInstance;
      expect(done.state).toBe('COMPLETED');
      expect(done.history.nodes.map((e: any) => e.elementId)).toContain('End_Big');
      expect(done.history.nodes.map((e: any) => e.elementId)).not.toContain('End_Small');
    });
  });

  it('publishes a message that a waiting instance catches; counters move by what happened', async () => {
    const id = uniqueId('Process_Paid');
    const name = `payment-received-${id}`;
    const xml = bpmn(
      id,
      `    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait" name="Payment received"><bpmn:messageEventDefinition messageRef="Message_Paid" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="End" />
    <bpmn:endEvent id="End" />`,
      '',
      `  <bpmn:message id="Message_Paid" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="=invoiceNo" /></bpmn:extensionElements></bpmn:message>`,
    );
    await deployProcess(target.client, id, xml);
    const before = (await manager.query(COUNTERS)).workflowCounters;
    const { startProcessInstance: started } = await admin.query(START, { id, vars: { invoiceNo: 'INV-7' } });
    const waiting = (await manager.query(INSTANCE, { key: started.key })).processInstance;
    expect(waiting.currentElements).toEqual([{ elementId: 'Wait', elementName: 'Payment received', elementType: 'bpmn:IntermediateCatchEvent', variables: {} }]);

    await admin.expectError('BAD_INPUT', PUBLISH, { name, key: 'INV-7', ttl: -1 });
    // Buffered for a minute, so its id guards against a second publish (Zeebe only de-duplicates buffered messages).
    const { publishMessage } = await admin.query(PUBLISH, { name, key: 'INV-7', vars: { paidCents: 120000 }, ttl: 60_000, id: `pay-${id}` });
    expect(publishMessage.key).toMatch(/^\d+$/);
    const duplicate = await admin.expectError('CONFLICT', PUBLISH, { name, key: 'INV-7', ttl: 60_000, id: `pay-${id}` });
    expect(duplicate.message).toContain(`pay-${id}`);

    const done = (await manager.query(INSTANCE, { key: started.key })).processInstance;
    expect(done).toMatchObject({ state: 'COMPLETED', variables: { invoiceNo: 'INV-7', paidCents: 120000 } });
    const after = (await manager.query(COUNTERS)).workflowCounters;
    expect(after.instancesStarted - before.instancesStarted).toBe(1);
    expect(after.instancesCompleted - before.instancesCompleted).toBe(1);
    expect(after.messagesPublished - before.messagesPublished).toBe(1);
  });

  it('reading needs platform.read-processes; changing needs platform.operate-processes', async () => {
    const rep = await target.env!.asStaff('sales-rep');
    await rep.expectError('FORBIDDEN', LIST, {});
    await rep.expectError('FORBIDDEN', COUNTERS);
    const dealer = await target.env!.asDealer(await target.env!.createDealer());
    for (const query of [LIST, INSTANCES, INCIDENTS, COUNTERS]) await dealer.expectError('FORBIDDEN', query, {});
    await target.env!.anonymous.expectError('UNAUTHENTICATED', INSTANCES, {});
    // A channel manager watches processes but does not operate them.
    const refused = await manager.expectError('FORBIDDEN', START, { id: 'anything' });
    expect(refused.message).toContain('platform.operate-processes');
    await manager.expectError('FORBIDDEN', CANCEL, { key: '1' });
    await manager.expectError('FORBIDDEN', PUBLISH, { name: 'm', key: 'k' });
    const readOnly = await target.env!.asApiToken('read-only');
    expect((await readOnly.query(INSTANCES, {})).processInstances.total).toBeGreaterThan(0);
    await readOnly.expectError('FORBIDDEN', CANCEL, { key: '1' });
  });

  it('shows the decisions an instance’s business-rule tasks evaluated, with inputs, the matched rule and the result', async () => {
    const decisionId = uniqueId('discount_rate');
    const dmn = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="${decisionId}_drg" name="Discounts" namespace="http://channelflow.dev/dmn">
  <decision id="${decisionId}" name="Dealer discount">
    <decisionTable id="${decisionId}_t" hitPolicy="FIRST">
      <input id="in_tier" label="Tier"><inputExpression id="ie_tier"><text>tier</text></inputExpression></input>
      <output id="out_rate" name="rate" />
      <rule id="rule_gold"><inputEntry id="r1i"><text>"gold"</text></inputEntry><outputEntry id="r1o"><text>0.08</text></outputEntry></rule>
      <rule id="rule_other"><inputEntry id="r2i"><text>-</text></inputEntry><outputEntry id="r2o"><text>0.02</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>`;
    await target.client.deployResource({ name: `${decisionId}.dmn`, decision: Buffer.from(dmn) } as any);
    const id = uniqueId('Process_Discount');
    await deployProcess(
      target.client,
      id,
      bpmn(
        id,
        `<bpmn:startEvent id="Start" /><bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Rule_Discount" />
         <bpmn:businessRuleTask id="Rule_Discount"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="rate" /></bpmn:extensionElements></bpmn:businessRuleTask>
         <bpmn:sequenceFlow id="F2" sourceRef="Rule_Discount" targetRef="End" /><bpmn:endEvent id="End" />`,
      ),
    );
    const { startProcessInstance } = await admin.query(START, { id, vars: { tier: 'gold' } });
    const query = `query ($key: ID!) { processInstance(key: $key) { state decisions { id decisionId decisionName version type state elementId result inputs matchedRules } } }`;
    const { processInstance } = await eventually(async () => {
      const found = await manager.query(query, { key: startProcessInstance.key });
      expect(found.processInstance.state).toBe('COMPLETED');
      return found;
    });
    expect(processInstance.decisions).toEqual([
      expect.objectContaining({ decisionId, decisionName: 'Dealer discount', version: 1, type: 'DECISION_TABLE', state: 'EVALUATED', elementId: 'Rule_Discount', result: 0.08 }),
    ]);
    expect(processInstance.decisions[0].inputs).toEqual([expect.objectContaining({ inputName: 'Tier', inputValue: 'gold' })]);
    expect(processInstance.decisions[0].matchedRules).toEqual([expect.objectContaining({ ruleId: 'rule_gold', ruleIndex: 1 })]);
  });
});
