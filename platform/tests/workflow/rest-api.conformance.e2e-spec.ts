import { Camunda8 } from '@camunda8/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { bpmn, externalZeebe, serviceTask, uniqueId } from './zeebe-target';

type RestClient = ReturnType<Camunda8['getCamundaRestClient']>;

/**
 * Camunda 8.8's Orchestration Cluster REST API, driven by @camunda8/sdk's REST client exactly as an
 * application would: the embedded engine serves it on the platform's port. With ZEEBE_REST_ADDRESS
 * set the same scenarios run against a real cluster.
 */
describe('Zeebe conformance: the REST API (v2) with the official REST client', () => {
  let env: TestEnvironment | null = null;
  let rest: RestClient;
  let restAddress: string;

  const restClient = (address: string, token?: string) =>
    new Camunda8({
      ZEEBE_REST_ADDRESS: address,
      ...(token ? { CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: token } : { CAMUNDA_AUTH_STRATEGY: (process.env.CAMUNDA_AUTH_STRATEGY as any) ?? 'NONE' }),
      CAMUNDA_LOG_LEVEL: 'none',
    } as any).getCamundaRestClient();

  beforeAll(async () => {
    const external = process.env.ZEEBE_REST_ADDRESS;
    env = external ? null : await createTestEnvironment({ env: { WORKFLOW_TASK_INBOX: 'false' } });
    restAddress = external ?? env!.baseUrl;
    rest = restClient(restAddress, env?.zeebeToken);
  });
  afterAll(async () => {
    await env?.destroy();
  });

  const deploy = async (id: string, xml: string) => {
    const result = await rest.deployResources([{ name: `${id}.bpmn`, content: Buffer.from(xml) }]);
    return result.processes[0]!;
  };
  const activate = async (type: string, count = 1) => {
    const jobs: any[] = [];
    await eventually(async () => {
      jobs.push(...(await rest.activateJobs({ type, worker: 'rest-conformance', timeout: 60_000, maxJobsToActivate: count - jobs.length, requestTimeout: 1_000 })));
      expect(jobs).toHaveLength(count);
    });
    return jobs;
  };
  const statusOf = (call: Promise<unknown>) =>
    call.then(
      () => 200,
      (error: any) => Number(error?.statusCode ?? error?.response?.statusCode ?? error?.code ?? 0),
    );
  const twoTasks = (id: string, first: string, second: string) =>
    bpmn(
      id,
      `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_First" />
    ${serviceTask('Task_First', first)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_First" targetRef="Task_Second" />
    ${serviceTask('Task_Second', second)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_Second" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
    );

  it('answers the topology', async () => {
    const topology = await rest.getTopology();
    expect(topology.brokers.length).toBeGreaterThan(0);
    expect(topology.gatewayVersion).toMatch(/^8\./);
  });

  it.skipIf(externalZeebe)('refuses to pin the engine clock unless the platform was started with a controlled clock', async () => {
    const pinned = await fetch(`${restAddress}/v2/clock`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${env!.zeebeToken}` }, body: JSON.stringify({ timestamp: Date.now() + 86_400_000 }) });
    expect(pinned.status).toBe(403);
    expect((await pinned.json()).detail).toContain('WORKFLOW_ENGINE_CLOCK_CONTROLLED');
  });

  it.skipIf(externalZeebe)('refuses a request without credentials, or with a wrong token, as 401', async () => {
    const anonymous = await fetch(`${restAddress}/v2/topology`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(await anonymous.json()).toMatchObject({ status: 401, title: 'UNAUTHENTICATED' });
    const wrong = await fetch(`${restAddress}/v2/topology`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
  });

  it('deploys, starts by id, activates, completes, and awaits a result with the variables', async () => {
    const id = uniqueId('Process_Rest');
    const types = { first: uniqueId('rest.first'), second: uniqueId('rest.second') };
    const deployed = await deploy(id, twoTasks(id, types.first, types.second));
    expect(deployed).toMatchObject({ processDefinitionId: id, processDefinitionVersion: 1 });

    const started = await rest.createProcessInstance({ processDefinitionId: id, variables: { orderId: 'SO-1' } });
    expect(started.processDefinitionKey).toBe(deployed.processDefinitionKey);
    const [first] = await activate(types.first);
    expect(first).toMatchObject({ processInstanceKey: started.processInstanceKey, elementId: 'Task_First', type: types.first });
    expect(first.variables).toMatchObject({ orderId: 'SO-1' });
    await first.complete({ checked: true });
    const [second] = await activate(types.second);
    expect(second.variables).toMatchObject({ orderId: 'SO-1', checked: true });
    await second.complete({});

    const withResult = rest.createProcessInstanceWithResult({ processDefinitionId: id, variables: { orderId: 'SO-2' } });
    const [a] = await activate(types.first);
    await a.complete({ checked: 'yes' });
    const [b] = await activate(types.second);
    await b.complete({ shipped: 3 });
    const done = await withResult;
    expect(done.variables).toMatchObject({ orderId: 'SO-2', checked: 'yes', shipped: 3 });
  });

  it('refuses an invalid model at deploy with 400 naming the element', async () => {
    const id = uniqueId('Process_RestBad');
    const xml = bpmn(id, `    <bpmn:startEvent id="StartEvent_1" />\n    <bpmn:serviceTask id="Task_NoType" />\n    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_NoType" />`);
    const error: any = await rest.deployResources([{ name: `${id}.bpmn`, content: Buffer.from(xml) }]).catch((e) => e);
    expect(Number(error.statusCode)).toBe(400);
    expect(String(error.message)).toContain('Task_NoType');
  });

  it('a failed job with retries left comes back; a BPMN error is caught by its boundary', async () => {
    const id = uniqueId('Process_RestError');
    const types = { work: uniqueId('rest.work'), fallback: uniqueId('rest.fallback') };
    await deploy(
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    ${serviceTask('Task_Work', types.work)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
    <bpmn:boundaryEvent id="Boundary_Error" attachedToRef="Task_Work"><bpmn:errorEventDefinition id="ErrDef" errorRef="Error_Stock" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Boundary_Error" targetRef="Task_Fallback" />
    ${serviceTask('Task_Fallback', types.fallback)}
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Fallback" targetRef="EndEvent_2" />
    <bpmn:endEvent id="EndEvent_2" />`,
        '',
        '  <bpmn:error id="Error_Stock" name="Out of stock" errorCode="OUT_OF_STOCK" />',
      ),
    );
    const result = rest.createProcessInstanceWithResult({ processDefinitionId: id, variables: {}, requestTimeout: 30_000 });
    const [job] = await activate(types.work);
    await job.fail({ errorMessage: 'ERP busy', retries: 2, retryBackOff: 0 });
    const [again] = await activate(types.work);
    expect(again.jobKey).toBe(job.jobKey);
    expect(again.retries).toBe(2);
    await again.error({ errorCode: 'OUT_OF_STOCK', errorMessage: 'none left', variables: { missing: 'SKU-1' } });
    const [fallback] = await activate(types.fallback);
    expect(fallback.variables).toMatchObject({ missing: 'SKU-1' });
    await fallback.complete({ substituted: true });
    expect((await result).variables).toMatchObject({ substituted: true });
  });

  it('completing a job twice answers 404; a job key that is not a number answers 400', async () => {
    const id = uniqueId('Process_RestTwice');
    const types = { first: uniqueId('rest.twice-a'), second: uniqueId('rest.twice-b') };
    await deploy(id, twoTasks(id, types.first, types.second));
    await rest.createProcessInstance({ processDefinitionId: id, variables: {} });
    const [job] = await activate(types.first);
    await job.complete({});
    expect(await statusOf(rest.completeJob({ jobKey: job.jobKey, variables: {} }))).toBe(404);
    expect(await statusOf(rest.completeJob({ jobKey: 'not-a-key', variables: {} }))).toBe(400);
  });

  it('publishes and correlates messages; correlating with nobody waiting answers 404', async () => {
    const id = uniqueId('Process_RestMessage');
    const name = uniqueId('payment-received');
    const type = uniqueId('rest.after-payment');
    await deploy(
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Catch_Paid" />
    <bpmn:intermediateCatchEvent id="Catch_Paid"><bpmn:messageEventDefinition id="MsgDef" messageRef="Message_Paid" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Paid" targetRef="Task_After" />
    ${serviceTask('Task_After', type)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        '',
        `  <bpmn:message id="Message_Paid" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="=invoice" /></bpmn:extensionElements></bpmn:message>`,
      ),
    );
    const one = await rest.createProcessInstance({ processDefinitionId: id, variables: { invoice: 'INV-1' } });
    const correlated = await rest.correlateMessage({ name, correlationKey: 'INV-1', variables: { paid: 100 } });
    expect(correlated.processInstanceKey).toBe(one.processInstanceKey);
    const [job] = await activate(type);
    expect(job.variables).toMatchObject({ invoice: 'INV-1', paid: 100 });
    await job.complete({});

    expect(await statusOf(rest.correlateMessage({ name, correlationKey: 'INV-404', variables: {} }))).toBe(404);

    // A buffered publication reaches an instance that subscribes later.
    await rest.publishMessage({ name, correlationKey: 'INV-2', variables: { paid: 7 }, timeToLive: 60_000 });
    await rest.createProcessInstance({ processDefinitionId: id, variables: { invoice: 'INV-2' } });
    const [late] = await activate(type);
    expect(late.variables).toMatchObject({ invoice: 'INV-2', paid: 7 });
    await late.complete({});
  });

  it('broadcasts a signal that starts a process', async () => {
    const id = uniqueId('Process_RestSignal');
    const signal = uniqueId('catalog-updated');
    const type = uniqueId('rest.signalled');
    await deploy(
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_Signal"><bpmn:signalEventDefinition id="SigDef" signalRef="Signal_1" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Signal" targetRef="Task_Work" />
    ${serviceTask('Task_Work', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
        '',
        `  <bpmn:signal id="Signal_1" name="${signal}" />`,
      ),
    );
    const broadcast = await rest.broadcastSignal({ signalName: signal, variables: { version: 12 } });
    expect(broadcast.signalKey).toBeTruthy();
    const [job] = await activate(type);
    expect(job.processDefinitionId).toBe(id);
    expect(job.variables).toMatchObject({ version: 12 });
    await job.complete({});
  });

  it('cancels an instance (its job is gone), finds it by search, and resolves an incident after fixing variables', async () => {
    const id = uniqueId('Process_RestOps');
    const types = { first: uniqueId('rest.ops-a'), second: uniqueId('rest.ops-b') };
    await deploy(id, twoTasks(id, types.first, types.second));
    const doomed = await rest.createProcessInstance({ processDefinitionId: id, variables: {} });
    await rest.cancelProcessInstance({ processInstanceKey: doomed.processInstanceKey });
    expect(await rest.activateJobs({ type: types.first, worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: 300 })).toHaveLength(0);
    expect(await statusOf(rest.cancelProcessInstance({ processInstanceKey: doomed.processInstanceKey }))).toBe(404);

    const found = await rest.searchProcessInstances({ filter: { processDefinitionId: id } } as any);
    expect(found.items.map((i: any) => [i.processInstanceKey, i.state])).toEqual([[doomed.processInstanceKey, 'TERMINATED']]);

    // A job that runs out of retries raises an incident; more retries and a resolution resume it.
    const live = await rest.createProcessInstance({ processDefinitionId: id, variables: {} });
    const [job] = await activate(types.first);
    await job.fail({ errorMessage: 'warehouse offline', retries: 0 });
    const incident = await eventually(async () => {
      const open = await rest.searchIncidents({ filter: { processInstanceKey: live.processInstanceKey, state: 'ACTIVE' } } as any);
      expect(open.items).toHaveLength(1);
      return open.items[0] as any;
    });
    expect(incident).toMatchObject({ errorType: 'JOB_NO_RETRIES', errorMessage: 'warehouse offline', elementId: 'Task_First' });
    await rest.updateJob({ jobKey: job.jobKey, retries: 1 });
    await rest.updateElementInstanceVariables({ elementInstanceKey: live.processInstanceKey, variables: { warehouse: 'WH-2' } });
    await rest.resolveIncident(incident.incidentKey);
    const [retried] = await activate(types.first);
    expect(retried.variables).toMatchObject({ warehouse: 'WH-2' });
    await retried.complete({});
  });

  it('deploys a DMN resource and evaluates its decision', async () => {
    const id = uniqueId('discount');
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="${id}_drg" name="Discounts" namespace="http://channelflow.dev/dmn">
  <decision id="${id}" name="Discount">
    <decisionTable id="${id}_t" hitPolicy="FIRST">
      <input id="${id}_i"><inputExpression id="${id}_ie"><text>quantity</text></inputExpression></input>
      <output id="${id}_o" name="discount" />
      <rule id="${id}_r1"><inputEntry id="${id}_e1"><text>&gt;= 100</text></inputEntry><outputEntry id="${id}_x1"><text>0.1</text></outputEntry></rule>
      <rule id="${id}_r2"><inputEntry id="${id}_e2"><text>-</text></inputEntry><outputEntry id="${id}_x2"><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>`;
    const deployed = await rest.deployResources([{ name: `${id}.dmn`, content: Buffer.from(xml) }]);
    expect(deployed.decisions[0]).toMatchObject({ decisionDefinitionId: id, version: 1 });
    const evaluated = await rest.evaluateDecision({ decisionDefinitionId: id, variables: { quantity: 120 } } as any);
    expect(JSON.parse(evaluated.output)).toBe(0.1);
    expect(evaluated.evaluatedDecisions[0]!.matchedRules[0]!.ruleId).toBe(`${id}_r1`);
  });
});
