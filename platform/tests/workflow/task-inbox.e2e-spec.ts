import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { bpmn, clientFor, deployProcess, eventually, restClientFor, uniqueId, type ZeebeClient } from './zeebe-target';

const TASK_FIELDS = 'id name elementId processInstanceKey state assignee candidateGroups formKey form variables completedAt';
const INBOX = `query ($state: UserTaskListState, $mine: Boolean, $group: String) {
  taskInbox(state: $state, assignedToMe: $mine, candidateGroup: $group, pageSize: 100) { total nodes { ${TASK_FIELDS} } }
}`;
const TASK = `query ($id: ID!) { userTask(id: $id) { ${TASK_FIELDS} } }`;
const CLAIM = `mutation ($id: ID!) { claimTask(id: $id) { id state assignee } }`;
const UNCLAIM = `mutation ($id: ID!) { unclaimTask(id: $id) { id state assignee } }`;
const COMPLETE = `mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { id state completedAt } }`;
const DEALER_INBOX = `query ($state: UserTaskListState) { myDealerTasks(state: $state, pageSize: 100) { total nodes { ${TASK_FIELDS} } } }`;
const DEALER_TASK = `query ($id: ID!) { myDealerTask(id: $id) { ${TASK_FIELDS} } }`;
const DEALER_CLAIM = `mutation ($id: ID!) { claimMyDealerTask(id: $id) { id assignee } }`;
const DEALER_UNCLAIM = `mutation ($id: ID!) { unclaimMyDealerTask(id: $id) { id assignee } }`;
const DEALER_COMPLETE = `mutation ($id: ID!, $vars: JSON) { completeMyDealerTask(id: $id, variables: $vars) { id state } }`;

const APPROVAL_FORM = {
  id: 'order-approval',
  type: 'default',
  components: [
    { type: 'text', text: '# Approve the order' },
    { type: 'select', key: 'decision', label: 'Decision', values: [{ label: 'Approve', value: 'approve' }, { label: 'Reject', value: 'reject' }], validate: { required: true } },
    { type: 'number', key: 'approvedCents', label: 'Approved amount', validate: { min: 0, max: 100000000 } },
    { type: 'textfield', key: 'reason', label: 'Reason', validate: { maxLength: 40 }, conditional: { hide: '=decision = "approve"' } },
    { type: 'textfield', key: 'orderNo', label: 'Order', readonly: true },
  ],
};

/** start → user task (extension elements as given) → end; `rootExtensions` go on the process. */
const userTaskProcess = (id: string, taskExtensions: string, rootExtensions = '', name = 'Approve order') =>
  bpmn(
    id,
    `    ${rootExtensions ? `<bpmn:extensionElements>${rootExtensions}</bpmn:extensionElements>` : ''}
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Task_Approve" />
    <bpmn:userTask id="Task_Approve" name="${name}"><bpmn:extensionElements>${taskExtensions}</bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Approve" targetRef="End" />
    <bpmn:endEvent id="End" />`,
  );

const CONFIRM_FORM = { id: 'confirm', components: [{ type: 'number', key: 'confirmedQty', label: 'Quantity', validate: { required: true, min: 1 } }] };

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('task inbox', () => {
  const workflows = fs.mkdtempSync(path.join(os.tmpdir(), 'task-inbox-forms-'));
  let env: TestEnvironment;
  let client: ZeebeClient;
  let financeA: GraphqlClient & { user: { email: string } };
  let financeB: GraphqlClient & { user: { email: string } };
  beforeAll(async () => {
    // A linked form (zeebe:formDefinition formId) lives in workflows/ as Camunda Modeler saves it.
    fs.writeFileSync(path.join(workflows, 'order-approval.form'), JSON.stringify(APPROVAL_FORM));
    fs.writeFileSync(path.join(workflows, 'confirm.form'), JSON.stringify(CONFIRM_FORM));
    env = await createTestEnvironment({ env: { CHANNELFLOW_WORKFLOWS_DIR: workflows } });
    client = clientFor(env.zeebeAddress, env.zeebeToken);
    financeA = await env.asStaff('finance');
    financeB = await env.asStaff('finance');
  });
  afterAll(async () => {
    await client?.close();
    await env?.destroy();
    fs.rmSync(workflows, { recursive: true, force: true });
  });

  const instanceState = async (key: string) => (await env.strapi.db.connection('wf_process_instances').where({ key }).first())?.state;
  const start = async (bpmnProcessId: string, variables: Record<string, unknown> = {}) =>
    String((await client.createProcessInstance({ bpmnProcessId, variables })).processInstanceKey);
  const incidentOf = (processInstanceKey: string) =>
    eventually(async () => {
      const row = await env.strapi.db.connection('wf_incidents').where({ process_instance_key: processInstanceKey, state: 'ACTIVE' }).first();
      if (!row) throw new Error(`no incident in instance ${processInstanceKey} yet`);
      return row;
    });
  /** The inbox takes user-task jobs asynchronously: wait until the instance's task shows up for `viewer`. */
  const taskOf = (viewer: GraphqlClient, processInstanceKey: string, query = INBOX, field = 'taskInbox') =>
    eventually(async () => {
      const found = (await viewer.query(query, {}))[field].nodes.find((t: any) => t.processInstanceKey === processInstanceKey);
      if (!found) throw new Error(`no task of instance ${processInstanceKey} yet`);
      return found;
    });

  // Both kinds of user task reach the same inbox and are worked the same way.
  describe.each([
    { kind: 'job-based', marker: '', camunda: false },
    { kind: 'Camunda (zeebe:userTask)', marker: '<zeebe:userTask />', camunda: true },
  ])('$kind user tasks', ({ marker, camunda }) => {
    // Camunda 8.8 links a Camunda user task to a deployed form (formId); a job-based one may embed its form in the process.
    const formOf = (embeddedId: string, linkedId: string) =>
      camunda ? `<zeebe:formDefinition formId="${linkedId}" />` : `<zeebe:formDefinition formKey="camunda-forms:bpmn:${embeddedId}" />`;
    describe('staff', () => {
      const id = uniqueId('Process_Approval');
      beforeAll(() =>
        deployProcess(
          client,
          id,
          userTaskProcess(
            id,
            marker + `<zeebe:assignmentDefinition candidateGroups="finance" />${formOf('ApprovalForm', 'order-approval')}`,
            `<zeebe:userTaskForm id="ApprovalForm">${escapeXml(JSON.stringify(APPROVAL_FORM))}</zeebe:userTaskForm>`,
          ),
        ),
      );

      it('puts a task for the finance group in every finance user\'s inbox, with its name, form and variables, and in nobody else\'s', async () => {
        const key = await start(id, { orderNo: 'SO-1', amountCents: 250000 });
        const task = await taskOf(financeA, key);
        expect(task).toMatchObject({
          name: 'Approve order',
          elementId: 'Task_Approve',
          state: 'CREATED',
          assignee: null,
          candidateGroups: ['finance'],
          // A Camunda user task's linked form is the form deployed from workflows/, named by its key (as Zeebe does).
          formKey: camunda ? expect.stringMatching(/^\d+$/) : 'camunda-forms:bpmn:ApprovalForm',
          variables: { orderNo: 'SO-1', amountCents: 250000 },
          completedAt: null,
        });
        expect(task.form.components.map((c: any) => c.key ?? c.type)).toEqual(['text', 'decision', 'approvedCents', 'reason', 'orderNo']);
        expect((await financeB.query(INBOX, { group: 'finance' })).taskInbox.nodes.map((t: any) => t.id)).toContain(task.id);
        for (const role of ['sales-rep', 'channel-manager'] as const) {
          const other = await env.asStaff(role);
          expect((await other.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
          await other.expectError('NOT_FOUND', TASK, { id: task.id });
        }
      });

      it('claim is exclusive; only the claimer or a platform admin releases it; completing needs the claim', async () => {
        const key = await start(id, { orderNo: 'SO-2' });
        const task = await taskOf(financeA, key);
        const unclaimed = await financeA.expectError('CONFLICT', COMPLETE, { id: task.id, vars: { decision: 'approve' } });
        expect(unclaimed.message).toContain('Claim task "Approve order"');

        expect((await financeA.query(CLAIM, { id: task.id })).claimTask).toEqual({ id: task.id, state: 'CREATED', assignee: financeA.user.email });
        const taken = await financeB.expectError('CONFLICT', CLAIM, { id: task.id });
        expect(taken.message).toContain(financeA.user.email);
        await financeB.expectError('FORBIDDEN', UNCLAIM, { id: task.id });
        await financeB.expectError('CONFLICT', COMPLETE, { id: task.id, vars: { decision: 'approve' } });
        expect((await financeA.query(INBOX, { mine: true })).taskInbox.nodes.map((t: any) => t.id)).toContain(task.id);
        // Claimed tasks leave the other candidates' inboxes.
        expect((await financeB.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);

        const admin = await env.asStaff('platform-admin');
        expect((await admin.query(UNCLAIM, { id: task.id })).unclaimTask.assignee).toBeNull();
        expect((await financeB.query(CLAIM, { id: task.id })).claimTask.assignee).toBe(financeB.user.email);
        expect(await instanceState(key)).toBe('ACTIVE');
      });

      it('refuses values that do not fit the form and changes nothing; valid values complete the task and move the process on', async () => {
        const key = await start(id, { orderNo: 'SO-3', amountCents: 990000 });
        const task = await taskOf(financeA, key);
        await financeA.query(CLAIM, { id: task.id });

        const missing = await financeA.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars: { approvedCents: 5 } });
        expect(missing.message).toContain('Decision (decision) is required');
        const wrong = await financeA.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars: { decision: 'maybe' } });
        expect(wrong.message).toContain('must be one of ["approve","reject"]');
        const negative = await financeA.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars: { decision: 'approve', approvedCents: -1 } });
        expect(negative.message).toContain('must be at least 0');
        // Fields the form does not show (or shows read-only, or hides) cannot be smuggled in.
        for (const vars of [{ decision: 'approve', creditLimitCents: 10 ** 9 }, { decision: 'approve', orderNo: 'SO-999' }, { decision: 'approve', reason: 'hidden when approving' }]) {
          const smuggled = await financeA.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars });
          expect(smuggled.message).toContain('is not a field of this task\'s form');
        }
        const long = await financeA.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars: { decision: 'reject', reason: 'x'.repeat(41) } });
        expect(long.message).toContain('at most 40 characters');
        expect((await financeA.query(TASK, { id: task.id })).userTask.state).toBe('CREATED');
        expect(await instanceState(key)).toBe('ACTIVE');

        const done = (await financeA.query(COMPLETE, { id: task.id, vars: { decision: 'reject', reason: 'over budget' } })).completeTask;
        expect(done).toMatchObject({ id: task.id, state: 'COMPLETED', completedAt: expect.any(String) });
        expect(await instanceState(key)).toBe('COMPLETED');
        const final = await env.strapi.db.connection('wf_process_instances').where({ key }).first('variables');
        expect(JSON.parse(final.variables)).toMatchObject({ orderNo: 'SO-3', decision: 'reject', reason: 'over budget' });
        expect((await financeA.query(INBOX, { state: 'COMPLETED' })).taskInbox.nodes.map((t: any) => t.id)).toContain(task.id);
        expect((await financeA.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
        const again = await financeA.expectError('CONFLICT', COMPLETE, { id: task.id, vars: { decision: 'approve' } });
        expect(again.message).toContain('already completed');
      });

      it('a task whose instance is cancelled leaves the inbox and can no longer be worked on', async () => {
        const key = await start(id, { orderNo: 'SO-4' });
        const task = await taskOf(financeA, key);
        await client.cancelProcessInstance(key);
        await eventually(async () => {
          expect((await financeA.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
        });
        expect((await financeA.query(TASK, { id: task.id })).userTask.state).toBe('CANCELED');
        const refused = await financeA.expectError('CONFLICT', CLAIM, { id: task.id });
        expect(refused.message).toContain('cancelled');
      });

      it('an assignee from the process sees the task as theirs; a linked form comes from workflows/', async () => {
        const linked = uniqueId('Process_Assigned');
        await deployProcess(client, linked, userTaskProcess(linked, marker + '<zeebe:assignmentDefinition assignee="=requester" /><zeebe:formDefinition formId="order-approval" />'));
        const key = await start(linked, { requester: financeB.user.email, orderNo: 'SO-5' });
        const task = await taskOf(financeB, key, INBOX);
        expect(task).toMatchObject({ assignee: financeB.user.email, formKey: camunda ? expect.stringMatching(/^\d+$/) : 'order-approval' });
        expect(task.form.id).toBe('order-approval');
        expect((await financeB.query(INBOX, { mine: true })).taskInbox.nodes.map((t: any) => t.id)).toContain(task.id);
        expect((await financeA.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
        await financeB.expectError('BAD_INPUT', COMPLETE, { id: task.id, vars: {} });
        await financeB.query(COMPLETE, { id: task.id, vars: { decision: 'approve', approvedCents: 1000 } });
        expect(await instanceState(key)).toBe('COMPLETED');
      });

      // A Camunda user task is no job: one the inbox cannot hold is logged and left to other task clients.
      it.skipIf(camunda)('a task the inbox cannot hold becomes an incident naming why', async () => {
        const broken = uniqueId('Process_BrokenForm');
        await deployProcess(client, broken, userTaskProcess(broken, marker + '<zeebe:assignmentDefinition candidateGroups="finance" /><zeebe:formDefinition formId="no-such-form" />'));
        const incident = await incidentOf(await start(broken));
        expect(incident).toMatchObject({ error_type: 'JOB_NO_RETRIES', element_id: 'Task_Approve' });
        expect(incident.error_message).toContain('declares form "no-such-form"');

        const malformed = uniqueId('Process_MalformedForm');
        await deployProcess(
          client,
          malformed,
          userTaskProcess(malformed, marker + '<zeebe:formDefinition formKey="camunda-forms:bpmn:Bad" />', '<zeebe:userTaskForm id="Bad">not a form</zeebe:userTaskForm>'),
        );
        expect((await incidentOf(await start(malformed))).error_message).toContain('unusable form "camunda-forms:bpmn:Bad": the form is not valid JSON');
      });

      it('is for signed-in staff: API tokens and dealers are refused, bad ids are BAD_INPUT', async () => {
        const token = await env.asApiToken('full-access');
        const refused = await token.expectError('FORBIDDEN', INBOX, {});
        expect(refused.message).toContain('API tokens');
        const dealer = await env.asDealer(await env.createDealer());
        await dealer.expectError('FORBIDDEN', INBOX, {});
        await env.anonymous.expectError('UNAUTHENTICATED', INBOX, {});
        await financeA.expectError('BAD_INPUT', TASK, { id: 'abc' });
        await financeA.expectError('NOT_FOUND', TASK, { id: '2251799813999999' });
        await financeA.expectError('BAD_INPUT', COMPLETE, { id: '1', vars: [1] });
      });
    });

    describe('dealers', () => {
      const id = uniqueId('Process_DealerConfirm');
      const form = CONFIRM_FORM;
      beforeAll(() =>
        deployProcess(
          client,
          id,
          userTaskProcess(
            id,
            marker + `<zeebe:assignmentDefinition candidateGroups="=&quot;dealer:&quot; + dealerCode" />${formOf('ConfirmForm', 'confirm')}
             <zeebe:taskHeaders><zeebe:header key="dealerVariables" value="orderNo" /></zeebe:taskHeaders>`,
            `<zeebe:userTaskForm id="ConfirmForm">${escapeXml(JSON.stringify(form))}</zeebe:userTaskForm>`,
            'Confirm quantity',
          ),
        ),
      );

      it('dealer A works its own task; dealer B and staff can neither see nor touch it', async () => {
        const [a, b] = [await env.createDealer(), await env.createDealer()];
        const ownerA = await env.asDealer(a, 'owner');
        const viewerA = await env.asDealer(a, 'viewer');
        const ownerB = await env.asDealer(b, 'owner');
        const key = await start(id, { dealerCode: a.code, orderNo: 'SO-77', internalMarginBp: 3100 });

        const task = await taskOf(ownerA, key, DEALER_INBOX, 'myDealerTasks');
        expect(task).toMatchObject({ name: 'Confirm quantity', candidateGroups: [`dealer:${a.code}`], state: 'CREATED' });
        // Only what the form shows and the process shares: never the brand's internal figures.
        expect(task.variables).toEqual({ orderNo: 'SO-77' });
        expect((await viewerA.query(DEALER_TASK, { id: task.id })).myDealerTask.id).toBe(task.id);

        expect((await ownerB.query(DEALER_INBOX, {})).myDealerTasks.total).toBe(0);
        for (const [query, vars] of [
          [DEALER_TASK, { id: task.id }],
          [DEALER_CLAIM, { id: task.id }],
          [DEALER_UNCLAIM, { id: task.id }],
          [DEALER_COMPLETE, { id: task.id, vars: { confirmedQty: 1 } }],
        ] as const) {
          await ownerB.expectError('NOT_FOUND', query, vars);
        }
        expect((await financeA.query(INBOX, {})).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
        const admin = await env.asStaff('platform-admin');
        await admin.expectError('NOT_FOUND', TASK, { id: task.id });
        await viewerA.expectError('FORBIDDEN', DEALER_CLAIM, { id: task.id });

        expect((await ownerA.query(DEALER_CLAIM, { id: task.id })).claimMyDealerTask.assignee).toBe(ownerA.user.email);
        await ownerA.expectError('BAD_INPUT', DEALER_COMPLETE, { id: task.id, vars: { confirmedQty: 0 } });
        await ownerA.expectError('BAD_INPUT', DEALER_COMPLETE, { id: task.id, vars: { confirmedQty: 5, internalMarginBp: 0 } });
        expect(await instanceState(key)).toBe('ACTIVE');
        expect((await ownerA.query(DEALER_COMPLETE, { id: task.id, vars: { confirmedQty: 5 } })).completeMyDealerTask.state).toBe('COMPLETED');
        expect(await instanceState(key)).toBe('COMPLETED');
        const final = JSON.parse((await env.strapi.db.connection('wf_process_instances').where({ key }).first('variables')).variables);
        expect(final).toMatchObject({ confirmedQty: 5, internalMarginBp: 3100 });
      });

      it('a dealer role group reaches only that role', async () => {
        const roleTask = uniqueId('Process_DealerFinance');
        await deployProcess(client, roleTask, userTaskProcess(roleTask, marker + '<zeebe:assignmentDefinition candidateGroups="=&quot;dealer:&quot; + dealerCode + &quot;:finance&quot;" />', '', 'Confirm payment'));
        const dealer = await env.createDealer();
        const finance = await env.asDealer(dealer, 'finance');
        const buyer = await env.asDealer(dealer, 'buyer');
        const key = await start(roleTask, { dealerCode: dealer.code });
        const task = await taskOf(finance, key, DEALER_INBOX, 'myDealerTasks');
        await buyer.expectError('NOT_FOUND', DEALER_TASK, { id: task.id });
        // No form: the portal may complete it but cannot set variables through it.
        await finance.query(DEALER_CLAIM, { id: task.id });
        await finance.expectError('BAD_INPUT', DEALER_COMPLETE, { id: task.id, vars: { paid: true } });
        await finance.query(DEALER_COMPLETE, { id: task.id });
        expect(await instanceState(key)).toBe('COMPLETED');
      });

      it.skipIf(camunda)('a task addressed to two dealers is refused as an incident', async () => {
        const twoDealers = uniqueId('Process_TwoDealers');
        await deployProcess(client, twoDealers, userTaskProcess(twoDealers, marker + '<zeebe:assignmentDefinition candidateGroups="dealer:D1, dealer:D2" />'));
        const incident = await incidentOf(await start(twoDealers));
        expect(incident.error_message).toContain('addressed to several dealers (D1, D2)');
      });
    });
  });
  describe('Camunda user tasks and their engine', () => {
    const rest = () => restClientFor(env.baseUrl, env.zeebeToken);
    const restCall = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${env.baseUrl}/v2${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${env.zeebeToken}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };
    const listenerJob = (type: string) =>
      eventually(async () => {
        const { body } = await restCall('POST', '/jobs/activation', { type, worker: 'inbox-test', timeout: 60_000, maxJobsToActivate: 1, requestTimeout: 500 });
        expect(body.jobs).toHaveLength(1);
        return body.jobs[0];
      });

    it('a claim in the inbox assigns the task in the engine, an assignment there reaches the inbox, and a completing listener may refuse', async () => {
      const id = uniqueId('Process_CamundaInbox');
      const checker = uniqueId('inbox.check-decision');
      await deployProcess(
        client,
        id,
        userTaskProcess(
          id,
          `<zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="finance" />
           <zeebe:taskListeners><zeebe:taskListener eventType="completing" type="${checker}" /></zeebe:taskListeners>`,
        ),
      );
      const key = await start(id, { orderNo: 'SO-31' });
      const task = await taskOf(financeA, key);
      await financeA.query(CLAIM, { id: task.id });
      expect((await rest().getUserTask(task.id)).assignee).toBe(financeA.user.email);

      // Reassigned in the engine (Tasklist, another application): the inbox follows.
      await rest().assignUserTask({ userTaskKey: task.id, assignee: financeB.user.email });
      await eventually(async () => expect((await financeB.query(TASK, { id: task.id })).userTask.assignee).toBe(financeB.user.email));
      await financeA.expectError('CONFLICT', COMPLETE, { id: task.id, vars: {} });

      // The completing listener denies: the person sees its reason and the task stays open.
      const denied = financeB.expectError('CONFLICT', COMPLETE, { id: task.id, vars: {} });
      const first = await listenerJob(checker);
      expect(first.userTask).toMatchObject({ assignee: financeB.user.email, userTaskKey: task.id });
      await restCall('POST', `/jobs/${first.jobKey}/completion`, { result: { type: 'userTask', denied: true, deniedReason: 'attach the signed contract first' } });
      expect((await denied).message).toContain('attach the signed contract first');
      expect((await financeB.query(TASK, { id: task.id })).userTask.state).toBe('CREATED');
      expect(await instanceState(key)).toBe('ACTIVE');

      const accepted = financeB.query(COMPLETE, { id: task.id, vars: {} });
      const second = await listenerJob(checker);
      await restCall('POST', `/jobs/${second.jobKey}/completion`, {});
      expect((await accepted).completeTask.state).toBe('COMPLETED');
      expect(await instanceState(key)).toBe('COMPLETED');
      expect((await rest().getUserTask(task.id)).state).toBe('COMPLETED');
    });
  });
});
