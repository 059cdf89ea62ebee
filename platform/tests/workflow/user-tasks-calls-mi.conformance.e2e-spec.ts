import { describe, expect, it } from 'vitest';
import {
  bpmn,
  deployProcess,
  eventually,
  externalZeebe,
  jobsNow,
  oneTaskProcess,
  openIncidents,
  takeJobs,
  uniqueId,
  WORKER,
  useZeebeTarget,
} from './zeebe-target';

// Written only against the Zeebe client: the same file runs against a real Zeebe (ZEEBE_ADDRESS).
describe('Zeebe conformance: user tasks, call activities and multi-instance', () => {
  const suite = useZeebeTarget();
  const { client, withResult } = suite;

  it('a job-based user task is a job of type io.camunda.zeebe:userTask carrying assignment and form as custom headers', async () => {
    const id = uniqueId('Process_UserTask');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Approve" />
    <bpmn:userTask id="Task_Approve" name="Approve order">
      <bpmn:documentation>Check the order against the dealer's credit limit.</bpmn:documentation>
      <bpmn:extensionElements>
        <zeebe:formDefinition formKey="channelflow:forms:approve-order" />
        <zeebe:assignmentDefinition assignee="=owner" candidateGroups="sales, credit-control" />
        <zeebe:taskHeaders><zeebe:header key="channel" value="portal" /></zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Approve" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      ),
    );
    const result = withResult(id, { orderId: 'o-1', owner: 'chen.manager' });

    // Every job-based user task shares this type: pick this process's job out of the batch and let
    // any other one go back soon (short timeout).
    const job = await eventually(async () => {
      const jobs = await client().activateJobs({
        type: 'io.camunda.zeebe:userTask',
        worker: WORKER,
        timeout: 2_000,
        maxJobsToActivate: 50,
        requestTimeout: 1_000,
      });
      const ours = jobs.find((j) => j.bpmnProcessId === id);
      expect(ours).toBeDefined();
      return ours!;
    });
    expect(job).toMatchObject({ type: 'io.camunda.zeebe:userTask', elementId: 'Task_Approve', variables: { orderId: 'o-1', owner: 'chen.manager' } });
    expect(job.customHeaders).toMatchObject({
      'io.camunda.zeebe:assignee': 'chen.manager',
      'io.camunda.zeebe:formKey': 'channelflow:forms:approve-order',
      channel: 'portal',
    });
    expect(JSON.parse(String(job.customHeaders['io.camunda.zeebe:candidateGroups']))).toEqual(['sales', 'credit-control']);

    await client().completeJob({ jobKey: job.key, variables: { approved: true } });
    expect((await result).variables).toEqual({ orderId: 'o-1', owner: 'chen.manager', approved: true });
  });

  describe('call activity', () => {
    const parentProcess = (id: string, calledElement: string, mappings = '') =>
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Call_Child" />
    <bpmn:callActivity id="Call_Child">
      <bpmn:extensionElements>${calledElement}${mappings}</bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Call_Child" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      );

    it('runs the called process with the parent variables and propagates all child variables back by default', async () => {
      const [parent, child] = [uniqueId('Process_Parent'), uniqueId('Process_Child')];
      const type = uniqueId('child.work');
      await deployProcess(client(), child, oneTaskProcess(child, type));
      await deployProcess(client(), parent, parentProcess(parent, `<zeebe:calledElement processId="${child}" />`));
      const result = withResult(parent, { orderId: 'o-2' });

      const [job] = await takeJobs(client(), type);
      expect(job).toMatchObject({ bpmnProcessId: child, variables: { orderId: 'o-2' } });
      await client().completeJob({ jobKey: job!.key, variables: { childResult: 'shipped', trackingNo: 'T-9' } });

      const done = await result;
      expect(done.bpmnProcessId).toBe(parent);
      expect(done.processInstanceKey).not.toBe(job!.processInstanceKey);
      expect(done.variables).toEqual({ orderId: 'o-2', childResult: 'shipped', trackingNo: 'T-9' });
    });

    it('propagateAllChildVariables="false" with output mappings propagates only the mapped variables', async () => {
      const [parent, child] = [uniqueId('Process_Parent'), uniqueId('Process_Child')];
      const type = uniqueId('child.work');
      await deployProcess(client(), child, oneTaskProcess(child, type));
      await deployProcess(
        client(),
        parent,
        parentProcess(
          parent,
          `<zeebe:calledElement processId="${child}" propagateAllChildVariables="false" />`,
          '<zeebe:ioMapping><zeebe:output source="=childResult" target="shipment" /></zeebe:ioMapping>',
        ),
      );
      const result = withResult(parent, { orderId: 'o-3' });

      const [job] = await takeJobs(client(), type);
      await client().completeJob({ jobKey: job!.key, variables: { childResult: 'shipped', trackingNo: 'T-10' } });
      expect((await result).variables).toEqual({ orderId: 'o-3', shipment: 'shipped' });
    });

    it('bindingType="deployment" calls the version deployed together with the caller; "versionTag" the tagged one; "latest" the newest', async () => {
      const [deploymentParent, taggedParent, latestParent, child] = [uniqueId('Process_ParentDep'), uniqueId('Process_ParentTag'), uniqueId('Process_ParentLatest'), uniqueId('Process_Child')];
      const childXml = (marker: string, tag: string) =>
        bpmn(
          child,
          `    <bpmn:extensionElements><zeebe:versionTag value="${tag}" /></bpmn:extensionElements>
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1"><bpmn:extensionElements><zeebe:ioMapping><zeebe:input source="=&quot;${marker}&quot;" target="local" /></zeebe:ioMapping></bpmn:extensionElements></bpmn:endEvent>`,
        );
      // The child writes which version ran into `ranVersion` through the parent's output mapping of its version marker.
      const marked = (marker: string, tag: string) => childXml(marker, tag).replace('<bpmn:endEvent id="EndEvent_1">', '<bpmn:intermediateThrowEvent id="Mark"><bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=&quot;' + marker + '&quot;" target="ranVersion" /></zeebe:ioMapping></bpmn:extensionElements></bpmn:intermediateThrowEvent><bpmn:sequenceFlow id="Flow_M" sourceRef="Mark" targetRef="EndEvent_1" /><bpmn:endEvent id="EndEvent_1">').replace('targetRef="EndEvent_1" />\n    <bpmn:intermediateThrowEvent', 'targetRef="Mark" />\n    <bpmn:intermediateThrowEvent');
      const resource = (name: string, xml: string) => ({ name: `${name}.bpmn`, process: Buffer.from(xml) });
      // One deployment holds the "deployment"-bound parent and child v1 (tagged "stable").
      await client().deployResources([
        resource(deploymentParent, parentProcess(deploymentParent, `<zeebe:calledElement processId="${child}" bindingType="deployment" />`)),
        resource(child, marked('v1', 'stable')),
      ] as any);
      await deployProcess(client(), taggedParent, parentProcess(taggedParent, `<zeebe:calledElement processId="${child}" bindingType="versionTag" versionTag="stable" />`));
      await deployProcess(client(), latestParent, parentProcess(latestParent, `<zeebe:calledElement processId="${child}" />`));
      // A later child version, tagged differently.
      await deployProcess(client(), child, marked('v2', 'next'));

      expect((await withResult(deploymentParent)).variables.ranVersion).toBe('v1');
      expect((await withResult(taggedParent)).variables.ranVersion).toBe('v1');
      expect((await withResult(latestParent)).variables.ranVersion).toBe('v2');
    });

    it.skipIf(externalZeebe)('a version tag no version carries raises CALLED_ELEMENT_ERROR naming it (embedded)', async () => {
      const [parent, child] = [uniqueId('Process_ParentNoTag'), uniqueId('Process_Child')];
      await deployProcess(client(), child, oneTaskProcess(child, uniqueId('child.untagged')));
      await deployProcess(client(), parent, parentProcess(parent, `<zeebe:calledElement processId="${child}" bindingType="versionTag" versionTag="gold" />`));
      const instance = await client().createProcessInstance({ bpmnProcessId: parent, variables: {} });
      const [incident] = await eventually(async () => {
        const open = await openIncidents(suite, instance.processInstanceKey);
        expect(open).toHaveLength(1);
        return open;
      });
      expect(incident).toMatchObject({ element_id: 'Call_Child', error_type: 'CALLED_ELEMENT_ERROR' });
      expect(incident!.error_message).toContain("version tag 'gold'");
      await client().cancelProcessInstance(instance.processInstanceKey);
    });

    it.skipIf(externalZeebe)('an unknown called process raises CALLED_ELEMENT_ERROR on the call activity (embedded)', async () => {
      const parent = uniqueId('Process_Parent');
      const missing = uniqueId('Process_Missing');
      await deployProcess(client(), parent, parentProcess(parent, `<zeebe:calledElement processId="${missing}" />`));
      const instance = await client().createProcessInstance({ bpmnProcessId: parent, variables: {} });

      const [incident] = await eventually(async () => {
        const open = await openIncidents(suite, instance.processInstanceKey);
        expect(open).toHaveLength(1);
        return open;
      });
      expect(incident).toMatchObject({ element_id: 'Call_Child', error_type: 'CALLED_ELEMENT_ERROR', job_key: null });
      expect(incident!.error_message).toContain(missing);
      await client().cancelProcessInstance(instance.processInstanceKey);
    });
  });

  describe('multi-instance', () => {
    const multiInstanceProcess = (id: string, type: string, sequential: boolean) =>
      bpmn(
        id,
        `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_PerItem" />
    <bpmn:serviceTask id="Task_PerItem">
      <bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="${sequential}">
        <bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="results" outputElement="=result" />
        </bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_PerItem" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
      );

    it('parallel: one job per element, outputs collected in input order even when completed in reverse', async () => {
      const id = uniqueId('Process_ParallelMI');
      const type = uniqueId('mi.parallel');
      await deployProcess(client(), id, multiInstanceProcess(id, type, false));
      const items = ['a', 'b', 'c'];
      const result = withResult(id, { items });

      const jobs = await takeJobs(client(), type, 3);
      expect(jobs.map((j) => [j.variables.loopCounter, j.variables.item]).sort()).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      const reversed = [...jobs].sort((x, y) => Number(y.variables.loopCounter) - Number(x.variables.loopCounter));
      for (const job of reversed) await client().completeJob({ jobKey: job.key, variables: { result: String(job.variables.item).toUpperCase() } });

      const variables = (await result).variables;
      expect(variables).toEqual({ items, results: ['A', 'B', 'C'] });
    });

    it('sequential: one job at a time, loopCounter 1..n', async () => {
      const id = uniqueId('Process_SequentialMI');
      const type = uniqueId('mi.sequential');
      await deployProcess(client(), id, multiInstanceProcess(id, type, true));
      const items = [10, 20, 30];
      const result = withResult(id, { items });

      for (const [index, item] of items.entries()) {
        const [job] = await takeJobs(client(), type);
        expect(job!.variables).toMatchObject({ item, loopCounter: index + 1, items });
        expect(await jobsNow(client(), type, 300)).toEqual([]);
        await client().completeJob({ jobKey: job!.key, variables: { result: item * 2 } });
      }
      expect((await result).variables).toEqual({ items, results: [20, 40, 60] });
    });

    it.skipIf(externalZeebe)('a non-list input collection raises EXTRACT_VALUE_ERROR; resolving it creates the instances (embedded)', async () => {
      const id = uniqueId('Process_BadCollectionMI');
      const type = uniqueId('mi.bad');
      await deployProcess(client(), id, multiInstanceProcess(id, type, false));
      const instance = await client().createProcessInstance({ bpmnProcessId: id, variables: { items: 'not a list' } });

      const [incident] = await eventually(async () => {
        const open = await openIncidents(suite, instance.processInstanceKey);
        expect(open).toHaveLength(1);
        return open;
      });
      expect(incident).toMatchObject({ element_id: 'Task_PerItem', error_type: 'EXTRACT_VALUE_ERROR', job_key: null });

      await client().setVariables({ elementInstanceKey: instance.processInstanceKey, variables: { items: ['x'] }, local: false });
      await client().resolveIncident({ incidentKey: incident!.key });
      const [job] = await takeJobs(client(), type);
      expect(job!.variables).toMatchObject({ item: 'x', loopCounter: 1 });
      await client().completeJob({ jobKey: job!.key, variables: { result: 'X' } });
    });

    it('an empty input collection completes the activity at once with an empty output collection', async () => {
      const id = uniqueId('Process_EmptyMI');
      const type = uniqueId('mi.empty');
      await deployProcess(client(), id, multiInstanceProcess(id, type, false));

      const result = await client().createProcessInstanceWithResult({ bpmnProcessId: id, variables: { items: [] }, requestTimeout: 10_000 });
      expect(result.variables).toEqual({ items: [], results: [] });
      expect(await jobsNow(client(), type)).toEqual([]);
    });
  });
});
