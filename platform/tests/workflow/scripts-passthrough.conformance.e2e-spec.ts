import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, grpcRefusal, takeJobs, uniqueId, useZeebeTarget } from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
// Elements Camunda Modeler offers that need no worker: script tasks the engine evaluates, manual and
// undefined tasks, none intermediate throw events.
describe('Zeebe conformance: script tasks and pass-through elements', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  const chain = (id: string, elements: string[]) => {
    const ids = ['StartEvent_1', ...elements.map((e) => /id="([^"]+)"/.exec(e)![1]!), 'EndEvent_1'];
    const flows = ids.slice(1).map((target, i) => `    <bpmn:sequenceFlow id="Flow_${i}" sourceRef="${ids[i]}" targetRef="${target}" />`);
    return bpmn(id, ['    <bpmn:startEvent id="StartEvent_1" />', ...elements.map((e) => `    ${e}`), '    <bpmn:endEvent id="EndEvent_1" />', ...flows].join('\n'));
  };
  const scriptTask = (id: string, expression: string, resultVariable: string, extra = '') =>
    `<bpmn:scriptTask id="${id}"><bpmn:extensionElements><zeebe:script expression="${expression}" resultVariable="${resultVariable}" />${extra}</bpmn:extensionElements></bpmn:scriptTask>`;

  describe('script task with a FEEL expression (zeebe:script)', () => {
    it('evaluates the expression against the instance variables and stores the result in resultVariable', async () => {
      const id = uniqueId('Process_Script');
      await deployProcess(client(), id, chain(id, [scriptTask('Script_Total', '=sum(for line in lines return line.quantity * line.unitPrice)', 'totalMinor')]));
      const result = await withResult(id, { lines: [{ quantity: 2, unitPrice: 150 }, { quantity: 1, unitPrice: 1_000 }] });
      expect(result.variables.totalMinor).toBe(1_300);
    });

    it('chains: a later script reads what an earlier one wrote, and may return a context', async () => {
      const id = uniqueId('Process_ScriptChain');
      await deployProcess(
        client(),
        id,
        chain(id, [
          scriptTask('Script_Tier', '=if volume &gt;= 1000 then &quot;gold&quot; else &quot;silver&quot;', 'tier'),
          scriptTask('Script_Summary', '={tier: tier, rate: if tier = &quot;gold&quot; then 0.05 else 0.02}', 'summary'),
        ]),
      );
      const gold = await withResult(id, { volume: 1_500 });
      expect(gold.variables).toMatchObject({ tier: 'gold', summary: { tier: 'gold', rate: 0.05 } });
      const silver = await withResult(id, { volume: 10 });
      expect(silver.variables).toMatchObject({ tier: 'silver', summary: { tier: 'silver', rate: 0.02 } });
    });

    it('with output mappings the result stays local and only the mapped variables reach the process', async () => {
      const id = uniqueId('Process_ScriptOutput');
      const mapping = '<zeebe:ioMapping><zeebe:output source="=doubled + 1" target="answer" /></zeebe:ioMapping>';
      await deployProcess(client(), id, chain(id, [scriptTask('Script_Double', '=n * 2', 'doubled', mapping)]));
      const result = await withResult(id, { n: 20 });
      expect(result.variables.answer).toBe(41);
      expect(result.variables).not.toHaveProperty('doubled');
    });

    it('a script without a result variable is refused at deploy, naming the element', async () => {
      const id = uniqueId('Process_ScriptNoResult');
      const xml = chain(id, ['<bpmn:scriptTask id="Script_Lonely"><bpmn:extensionElements><zeebe:script expression="=1 + 1" /></bpmn:extensionElements></bpmn:scriptTask>']);
      const refusal = await grpcRefusal(deployProcess(client(), id, xml));
      expect(refusal.code).toBe(3);
      expect(refusal.details).toContain('Script_Lonely');
    });

    it('a script with a FEEL syntax error is refused at deploy', async () => {
      const id = uniqueId('Process_ScriptSyntax');
      const refusal = await grpcRefusal(deployProcess(client(), id, chain(id, [scriptTask('Script_Broken', '=1 +* 2', 'x')])));
      expect(refusal.code).toBe(3);
      expect(refusal.details).toContain('Script_Broken');
    });
  });

  describe('job-based script task (zeebe:taskDefinition)', () => {
    it('creates a job for a worker, like a service task, and continues with what the worker returns', async () => {
      const id = uniqueId('Process_ScriptJob');
      const type = uniqueId('script.run');
      await deployProcess(client(), id, chain(id, [`<bpmn:scriptTask id="Script_ByWorker"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:scriptTask>`]));
      const result = withResult(id, { input: 3 });
      const [job] = await takeJobs(client(), type);
      expect(job!.elementId).toBe('Script_ByWorker');
      expect(job!.variables).toMatchObject({ input: 3 });
      await client().completeJob({ jobKey: job!.key, variables: { output: 9 } });
      expect((await result).variables).toMatchObject({ input: 3, output: 9 });
    });
  });

  describe('manual tasks, undefined tasks and none intermediate throw events', () => {
    it('the token passes straight through, applying their io mappings', async () => {
      const id = uniqueId('Process_PassThrough');
      const io = (source: string, target: string) => `<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="${source}" target="${target}" /></zeebe:ioMapping></bpmn:extensionElements>`;
      await deployProcess(
        client(),
        id,
        chain(id, [
          `<bpmn:manualTask id="Manual_Call">${io('=&quot;called&quot;', 'manual')}</bpmn:manualTask>`,
          `<bpmn:task id="Task_Plain">${io('=count + 1', 'count')}</bpmn:task>`,
          `<bpmn:intermediateThrowEvent id="Throw_Milestone">${io('=count * 10', 'milestone')}</bpmn:intermediateThrowEvent>`,
        ]),
      );
      const result = await withResult(id, { count: 1 });
      expect(result.variables).toMatchObject({ manual: 'called', count: 2, milestone: 20 });
    });
  });

  describe('link events', () => {
    const linked = (id: string, type: string, catchName: string) =>
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Throw_ToShipping" />
    <bpmn:intermediateThrowEvent id="Throw_ToShipping"><bpmn:linkEventDefinition id="LinkDef_Throw" name="shipping" /></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="Catch_Shipping"><bpmn:linkEventDefinition id="LinkDef_Catch" name="${catchName}" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Catch_Shipping" targetRef="Task_Ship" />
    <bpmn:serviceTask id="Task_Ship"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_Ship" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      );

    it('a throw link continues at the catch link of the same name, as if a sequence flow joined them', async () => {
      const id = uniqueId('Process_Link');
      const type = uniqueId('link.ship');
      await deployProcess(client(), id, linked(id, type, 'shipping'));
      const result = withResult(id, { order: 'SO-9' });
      const [job] = await takeJobs(client(), type);
      expect(job!.elementId).toBe('Task_Ship');
      expect(job!.variables).toMatchObject({ order: 'SO-9' });
      await client().completeJob({ jobKey: job!.key, variables: { shipped: true } });
      expect((await result).variables).toMatchObject({ order: 'SO-9', shipped: true });
    });

    it('a throw link without a catch link of its name is refused at deploy, naming it', async () => {
      const id = uniqueId('Process_LinkMissing');
      const refusal = await grpcRefusal(deployProcess(client(), id, linked(id, uniqueId('link.none'), 'elsewhere')));
      expect(refusal.code).toBe(3);
      expect(refusal.details).toContain('Throw_ToShipping');
    });
  });

  describe('message intermediate throw event', () => {
    it('is a job (zeebe:taskDefinition), like a send task, and the flow waits for it', async () => {
      const id = uniqueId('Process_MessageThrow');
      const type = uniqueId('notify.dealer');
      await deployProcess(
        client(),
        id,
        chain(id, [
          `<bpmn:intermediateThrowEvent id="Throw_Notify"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements><bpmn:messageEventDefinition id="MsgDef_Notify" /></bpmn:intermediateThrowEvent>`,
        ]),
      );
      const result = withResult(id, { dealer: 'D0001' });
      const [job] = await takeJobs(client(), type);
      expect(job!.elementId).toBe('Throw_Notify');
      await client().completeJob({ jobKey: job!.key, variables: { notified: true } });
      expect((await result).variables).toMatchObject({ dealer: 'D0001', notified: true });
    });
  });
});
