import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, eventually, externalZeebe, grpcRefusal, jobsNow, openIncidents, serviceTask, sleep, uniqueId, useZeebeTarget } from './zeebe-target';

// Camunda user tasks (zeebe:userTask, Camunda Modeler's default for a user task): the engine holds
// the task and the REST API (v2) works it, through the SDK's REST client. Task listeners are jobs.
// Written against the client APIs only, so the file also runs against a real cluster.
describe('Zeebe conformance: Camunda user tasks (zeebe:userTask) over the REST API', () => {
  const suite = useZeebeTarget();
  const { client, rest, restCall } = suite;

  /** start → user task (with `extensions` inside zeebe:userTask's extensionElements) → service task → end */
  const userTaskProcess = (id: string, extensions: string, after: string, boundary = '') =>
    bpmn(
      id,
      `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_Review" />
    <bpmn:userTask id="Task_Review" name="Review the request">
      <bpmn:extensionElements>
        <zeebe:userTask />
        ${extensions}
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Review" targetRef="Task_After" />
    ${serviceTask('Task_After', after)}
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_After" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />${boundary}`,
    );

  /** A Camunda form as Modeler saves it (a .form resource). */
  const deployForm = async (formId: string, label: string, versionTag?: string) => {
    const schema = { id: formId, type: 'default', ...(versionTag ? { versionTag } : {}), components: [{ type: 'textfield', key: 'decision', label }] };
    const result = await client().deployResource({ name: `${formId}.form`, form: Buffer.from(JSON.stringify(schema)) } as any);
    return (result.deployments[0] as any).form as { formId: string; version: number; formKey: string };
  };

  const start = async (id: string, variables: Record<string, unknown> = {}) => (await client().createProcessInstance({ bpmnProcessId: id, variables })).processInstanceKey;

  const createdTask = suite.createdUserTask;
  const taskNow = async (userTaskKey: string) => (await restCall('GET', `/user-tasks/${userTaskKey}`)).body;
  /** Listener jobs through the REST API (the SDK's REST job class drops the `userTask` part). */
  const activateListener = async (type: string) => {
    let job: any;
    await eventually(async () => {
      const { body } = await restCall('POST', '/jobs/activation', { type, worker: 'conformance', timeout: 60_000, maxJobsToActivate: 1, requestTimeout: 500 });
      expect(body.jobs).toHaveLength(1);
      job = body.jobs[0];
    });
    return job;
  };
  const completeListener = (jobKey: string, result?: Record<string, unknown>) => restCall('POST', `/jobs/${jobKey}/completion`, { variables: {}, ...(result ? { result: { type: 'userTask', ...result } } : {}) });
  const statusOf = (call: Promise<unknown>) =>
    call.then(
      () => 204,
      (error: any) => Number(error?.statusCode ?? error?.response?.statusCode ?? error?.code ?? 0),
    );

  it('creates the task with its attributes evaluated, no job for it, and completing it goes on with its variables', async () => {
    const id = uniqueId('Process_CamundaUserTask');
    const after = uniqueId('ut.after');
    const formId = uniqueId('credit-review');
    const deployedForm = await deployForm(formId, 'Review the credit request');
    await deployProcess(
      client(),
      id,
      userTaskProcess(
        id,
        `<zeebe:assignmentDefinition candidateGroups="=[region, &quot;finance&quot;]" candidateUsers="li.wei, zhao.min" />
        <zeebe:taskSchedule dueDate="=dueBy" followUpDate="2027-01-05T09:00:00Z" />
        <zeebe:priorityDefinition priority="=if amount &gt; 1000 then 80 else 40" />
        <zeebe:formDefinition formId="${formId}" />
        <zeebe:taskHeaders><zeebe:header key="queue" value="credit" /></zeebe:taskHeaders>`,
        after,
      ),
    );
    const processInstanceKey = await start(id, { region: 'east', dueBy: '2027-01-10T18:00:00Z', amount: 5000 });
    const task = await createdTask(processInstanceKey);
    expect(task).toMatchObject({
      name: 'Review the request',
      elementId: 'Task_Review',
      processDefinitionId: id,
      state: 'CREATED',
      candidateGroups: ['east', 'finance'],
      candidateUsers: ['li.wei', 'zhao.min'],
      dueDate: expect.stringMatching(/^2027-01-10T18:00/),
      followUpDate: expect.stringMatching(/^2027-01-05T09:00/),
      priority: 80,
      customHeaders: { queue: 'credit' },
      // A linked form is reported by the deployed form's key.
      formKey: deployedForm.formKey,
    });
    const form = await restCall('GET', `/user-tasks/${task.userTaskKey}/form`);
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ formId, version: 1, formKey: deployedForm.formKey });
    expect(JSON.parse(form.body.schema).components[0].label).toBe('Review the credit request');
    expect(task.assignee ?? null).toBeNull();
    // Unlike a job-based user task, nothing reaches the job workers.
    expect(await jobsNow(client(), 'io.camunda.zeebe:userTask')).toHaveLength(0);
    const variables = await rest().searchUserTaskVariables({ userTaskKey: task.userTaskKey, filter: { name: 'region' } } as any);
    expect(variables.items.map((v: any) => [v.name, JSON.parse(v.value)])).toEqual([['region', 'east']]);

    await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { decision: 'approve', limitCents: 500_000 } });
    const [next] = await eventually(async () => {
      const jobs = await jobsNow(client(), after);
      expect(jobs).toHaveLength(1);
      return jobs;
    });
    expect(next!.variables).toMatchObject({ decision: 'approve', limitCents: 500_000, region: 'east' });
    expect(await taskNow(task.userTaskKey)).toMatchObject({ state: 'COMPLETED', completionDate: expect.any(String) });
    // Completed once: a second completion finds no task to complete.
    expect(await statusOf(rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: {} }))).toBe(404);
    await client().completeJob({ jobKey: next!.key, variables: {} });
  });

  it('assigns (also from the model), refuses to take over with allowOverride false, unassigns, and updates the changeset', async () => {
    const id = uniqueId('Process_UserTaskAssign');
    const after = uniqueId('ut.assign-after');
    await deployProcess(client(), id, userTaskProcess(id, `<zeebe:assignmentDefinition assignee="=owner" />`, after));
    const processInstanceKey = await start(id, { owner: 'wang.fang' });
    const task = await createdTask(processInstanceKey);
    await eventually(async () => expect((await taskNow(task.userTaskKey)).assignee).toBe('wang.fang'));

    expect(await statusOf(rest().assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li.wei', allowOverride: false }))).toBe(409);
    expect((await taskNow(task.userTaskKey)).assignee).toBe('wang.fang');
    await rest().assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'li.wei' });
    expect((await taskNow(task.userTaskKey)).assignee).toBe('li.wei');
    await rest().unassignUserTask({ userTaskKey: task.userTaskKey });
    expect((await taskNow(task.userTaskKey)).assignee ?? null).toBeNull();
    const unassigned = await rest().searchUserTasks({ filter: { processInstanceKey, assignee: { $exists: false } } } as any);
    expect(unassigned.items.map((t: any) => t.userTaskKey)).toEqual([task.userTaskKey]);

    const update = await restCall('PATCH', `/user-tasks/${task.userTaskKey}`, { changeset: { priority: 90, candidateGroups: ['sales'], dueDate: '2027-02-01T10:00:00Z' }, action: 'escalate' });
    expect(update.status).toBe(204);
    expect(await taskNow(task.userTaskKey)).toMatchObject({ priority: 90, candidateGroups: ['sales'], dueDate: expect.stringMatching(/^2027-02-01T10:00/) });
    const bad = await restCall('PATCH', `/user-tasks/${task.userTaskKey}`, { changeset: { priority: 101 } });
    expect(bad.status).toBe(400);
    expect((await taskNow(task.userTaskKey)).priority).toBe(90);
    expect((await restCall('GET', '/user-tasks/2251799813685249')).status).toBe(404);
    await client().cancelProcessInstance(processInstanceKey);
  });

  it('runs creating, assigning and completing listeners as TASK_LISTENER jobs; completion waits for them and a denial keeps the task open', async () => {
    const id = uniqueId('Process_TaskListeners');
    const types = { creating: uniqueId('tl.creating'), assigning: uniqueId('tl.assigning'), completing: uniqueId('tl.completing'), after: uniqueId('tl.after') };
    await deployProcess(
      client(),
      id,
      userTaskProcess(
        id,
        `<zeebe:taskListeners>
          <zeebe:taskListener eventType="creating" type="${types.creating}" />
          <zeebe:taskListener eventType="assigning" type="${types.assigning}" />
          <zeebe:taskListener eventType="completing" type="${types.completing}" />
        </zeebe:taskListeners>`,
        types.after,
      ),
    );
    const processInstanceKey = await start(id, { requester: 'zhao.min' });
    const creating = await activateListener(types.creating);
    expect(creating).toMatchObject({ kind: 'TASK_LISTENER', listenerEventType: 'CREATING', elementId: 'Task_Review' });
    expect(creating.variables).toMatchObject({ requester: 'zhao.min' });
    // Not yet created while its creating listener works.
    expect((await rest().searchUserTasks({ filter: { processInstanceKey, state: 'CREATED' } } as any)).items).toHaveLength(0);
    expect((await completeListener(creating.jobKey, { corrections: { priority: 70 } })).status).toBe(204);
    const task = await createdTask(processInstanceKey);
    expect(task.priority).toBe(70);

    // Assigning: the request answers once the listener is done; its correction wins over the asked assignee.
    const assigned = restCall('POST', `/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'li.wei' });
    const assigning = await activateListener(types.assigning);
    expect(assigning).toMatchObject({ kind: 'TASK_LISTENER', listenerEventType: 'ASSIGNING' });
    expect(assigning.userTask).toMatchObject({ assignee: 'li.wei', userTaskKey: task.userTaskKey, changedAttributes: ['assignee'] });
    await completeListener(assigning.jobKey, { corrections: { assignee: 'wang.fang' } });
    expect((await assigned).status).toBe(204);
    expect((await taskNow(task.userTaskKey)).assignee).toBe('wang.fang');

    // A denied completion is refused and leaves the task open; the next completion goes through.
    const denied = restCall('POST', `/user-tasks/${task.userTaskKey}/completion`, { variables: { decision: 'reject' } });
    const first = await activateListener(types.completing);
    await completeListener(first.jobKey, { denied: true, deniedReason: 'a reason is required' });
    const refusal = await denied;
    expect(refusal.status).toBe(409);
    expect(refusal.body.detail).toContain('a reason is required');
    expect(await taskNow(task.userTaskKey)).toMatchObject({ state: 'CREATED', assignee: 'wang.fang' });
    expect(await jobsNow(client(), types.after)).toHaveLength(0);

    const accepted = restCall('POST', `/user-tasks/${task.userTaskKey}/completion`, { variables: { decision: 'reject', reason: 'stock' } });
    const second = await activateListener(types.completing);
    let answered = false;
    void accepted.then(() => (answered = true));
    await sleep(300);
    expect(answered).toBe(false);
    // A task listener job takes no variables (Camunda 8.8 refuses them) and throws no BPMN errors.
    expect((await restCall('POST', `/jobs/${second.jobKey}/completion`, { variables: { sneaky: true } })).status).toBe(400);
    expect((await grpcRefusal(client().throwError({ jobKey: second.jobKey, errorCode: 'X', errorMessage: '' }))).code).toBe(9);
    await completeListener(second.jobKey);
    expect((await accepted).status).toBe(204);
    const [next] = await eventually(async () => {
      const jobs = await jobsNow(client(), types.after);
      expect(jobs).toHaveLength(1);
      return jobs;
    });
    expect(next!.variables).toMatchObject({ decision: 'reject', reason: 'stock' });
    expect(next!.variables).not.toHaveProperty('sneaky');
    await client().completeJob({ jobKey: next!.key, variables: {} });
  });

  it('cancels the task when an interrupting boundary event leaves the user task', async () => {
    const id = uniqueId('Process_UserTaskBoundary');
    const after = uniqueId('ut.b-after');
    const escalated = uniqueId('ut.escalated');
    const message = uniqueId('ReviewWithdrawn');
    await deployProcess(
      client(),
      id,
      userTaskProcess(
        id,
        '',
        after,
        `
    <bpmn:boundaryEvent id="Boundary_Withdrawn" attachedToRef="Task_Review"><bpmn:messageEventDefinition id="MsgDef_1" messageRef="Message_Withdrawn" /></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Boundary_Withdrawn" targetRef="Task_Escalated" />
    ${serviceTask('Task_Escalated', escalated)}
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Escalated" targetRef="End_2" />
    <bpmn:endEvent id="End_2" />`,
      ).replace('</bpmn:definitions>', `  <bpmn:message id="Message_Withdrawn" name="${message}"><bpmn:extensionElements><zeebe:subscription correlationKey="=requestId" /></bpmn:extensionElements></bpmn:message>\n</bpmn:definitions>`),
    );
    const requestId = uniqueId('REQ');
    const processInstanceKey = await start(id, { requestId });
    const task = await createdTask(processInstanceKey);
    await client().publishMessage({ name: message, correlationKey: requestId, variables: {}, timeToLive: 0 });
    await eventually(async () => expect((await taskNow(task.userTaskKey)).state).toBe('CANCELED'));
    expect(await statusOf(rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: {} }))).toBe(404);
    const [job] = await eventually(async () => {
      const jobs = await jobsNow(client(), escalated);
      expect(jobs).toHaveLength(1);
      return jobs;
    });
    await client().completeJob({ jobKey: job!.key, variables: {} });
  });

  it('refuses task listeners with an unknown event type or no job type, naming the element', async () => {
    const id = uniqueId('Process_BadTaskListener');
    const xml = userTaskProcess(id, `<zeebe:taskListeners><zeebe:taskListener eventType="reviewing" type="x" /><zeebe:taskListener eventType="completing" type="" /></zeebe:taskListeners>`, 'x.after');
    const refusal = await grpcRefusal(deployProcess(client(), id, xml));
    expect(refusal.code).toBe(3);
    expect(refusal.details).toContain('Task_Review');
  });

  it.skipIf(externalZeebe)('refuses canceling task listeners, which the embedded engine does not run yet', async () => {
    const id = uniqueId('Process_CancelingListener');
    const xml = userTaskProcess(id, `<zeebe:taskListeners><zeebe:taskListener eventType="canceling" type="tl.canceling" /></zeebe:taskListeners>`, 'x.after');
    const refusal = await grpcRefusal(deployProcess(client(), id, xml));
    expect(refusal.details).toMatch(/Task_Review.*canceling task listeners are not supported/s);
  });

  it('keeps job-based user tasks (no zeebe:userTask) as io.camunda.zeebe:userTask jobs', async () => {
    const id = uniqueId('Process_JobUserTask');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_Job" />
    <bpmn:userTask id="Task_Job" name="Old style" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Job" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
      ),
    );
    const processInstanceKey = await start(id);
    const [job] = await eventually(async () => {
      const jobs = (await jobsNow(client(), 'io.camunda.zeebe:userTask')).filter((j) => j.processInstanceKey === processInstanceKey);
      expect(jobs).toHaveLength(1);
      return jobs;
    });
    expect((await rest().searchUserTasks({ filter: { processInstanceKey } } as any)).items).toHaveLength(0);
    await client().completeJob({ jobKey: job!.key, variables: {} });
  });

  it('links the form version its binding names: latest, the one deployed with the process, or the version tag', async () => {
    const formId = uniqueId('gift-approval');
    const id = uniqueId('Process_FormBinding');
    const linkedTask = (taskId: string, binding: string) =>
      `<bpmn:userTask id="${taskId}"><bpmn:extensionElements><zeebe:userTask /><zeebe:formDefinition formId="${formId}" ${binding} /></bpmn:extensionElements></bpmn:userTask>`;
    const process = bpmn(
      id,
      `    <bpmn:startEvent id="Start_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Gateway_Split" />
    <bpmn:parallelGateway id="Gateway_Split" />
    <bpmn:sequenceFlow id="Flow_L" sourceRef="Gateway_Split" targetRef="Task_Latest" />
    <bpmn:sequenceFlow id="Flow_D" sourceRef="Gateway_Split" targetRef="Task_Deployment" />
    <bpmn:sequenceFlow id="Flow_T" sourceRef="Gateway_Split" targetRef="Task_Tagged" />
    ${linkedTask('Task_Latest', '')}
    ${linkedTask('Task_Deployment', 'bindingType="deployment"')}
    ${linkedTask('Task_Tagged', 'bindingType="versionTag" versionTag="v1"')}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Latest" targetRef="End_1" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_Deployment" targetRef="End_1" />
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Tagged" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
    );
    const schema = (label: string, versionTag: string) => Buffer.from(JSON.stringify({ id: formId, versionTag, components: [{ type: 'textfield', key: 'x', label }] }));
    await client().deployResources([
      { name: `${id}.bpmn`, process: Buffer.from(process) },
      { name: `${formId}.form`, form: schema('first', 'v1') },
    ] as any);
    await client().deployResource({ name: `${formId}.form`, form: schema('second', 'v2') } as any);
    const processInstanceKey = await start(id);
    const tasks = await eventually(async () => {
      const found = await rest().searchUserTasks({ filter: { processInstanceKey } } as any);
      expect(found.items).toHaveLength(3);
      return found.items;
    });
    const labelOf = async (elementId: string) => {
      const task = tasks.find((t: any) => t.elementId === elementId);
      return JSON.parse((await restCall('GET', `/user-tasks/${task.userTaskKey}/form`)).body.schema).components[0].label;
    };
    expect(await labelOf('Task_Latest')).toBe('second');
    expect(await labelOf('Task_Deployment')).toBe('first');
    expect(await labelOf('Task_Tagged')).toBe('first');
    await client().cancelProcessInstance(processInstanceKey);
  });

  it.skipIf(externalZeebe)('a linked form that is not deployed is a FORM_NOT_FOUND incident; deploying it and resolving creates the task (embedded)', async () => {
    const formId = uniqueId('missing-form');
    const id = uniqueId('Process_FormMissing');
    await deployProcess(client(), id, userTaskProcess(id, `<zeebe:formDefinition formId="${formId}" />`, uniqueId('ut.never')));
    const processInstanceKey = await start(id);
    const [incident] = await eventually(async () => {
      const open = await openIncidents(suite, processInstanceKey);
      expect(open).toHaveLength(1);
      return open;
    });
    expect(incident).toMatchObject({ error_type: 'FORM_NOT_FOUND', element_id: 'Task_Review' });
    expect(incident!.error_message).toContain(`form with id '${formId}'`);
    await deployForm(formId, 'Now it exists');
    await client().resolveIncident({ incidentKey: String(incident!.key) });
    const task = await createdTask(processInstanceKey);
    expect((await restCall('GET', `/user-tasks/${task.userTaskKey}/form`)).body.formId).toBe(formId);
    await client().cancelProcessInstance(processInstanceKey);
  });
});
