import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bpmn, deployProcess, eventually, externalZeebe, jobsNow, openIncidents, serviceTask, takeJobs, uniqueId, useZeebeTarget, type ActivatedJob } from './zeebe-target';

// The hold-out set: Camunda 8.8 models as Camunda Modeler 5 saves them (holdout/*.bpmn, *.dmn),
// deployed unchanged and driven only through Zeebe's clients (gRPC, and REST for Camunda user
// tasks), asserting what Zeebe does. The same file runs against a real cluster (ZEEBE_ADDRESS).
describe('Zeebe conformance: the hold-out set of Camunda Modeler 5 models', () => {
  const suite = useZeebeTarget();
  const { client, rest, withResult } = suite;

  const HOLDOUT = join(__dirname, 'holdout');
  const model = (file: string) => readFileSync(join(HOLDOUT, file));
  /** Deploys the files together, as one deployment (what bindingType="deployment" relies on). */
  const deploy = (...files: string[]) =>
    client().deployResources(files.map((name) => (name.endsWith('.dmn') ? { name, decision: model(name) } : { name, process: model(name) })));
  /** The id Modeler gave the element named `name` in `file`. */
  const elementId = (file: string, name: string) => {
    const found = new RegExp(`id="([^"]+)" name="${name}"`).exec(model(file).toString('utf8'));
    if (!found) throw new Error(`no element named '${name}' in ${file}`);
    return found[1]!;
  };
  /** The one job of `type` now activatable, of `processInstanceKey` when given. */
  const job = async (type: string, processInstanceKey?: string): Promise<ActivatedJob> => {
    const [found] = await takeJobs(client(), type);
    if (processInstanceKey) expect(found!.processInstanceKey).toBe(processInstanceKey);
    return found!;
  };
  const complete = (j: ActivatedJob, variables: Record<string, unknown> = {}) => client().completeJob({ jobKey: j.key, variables });
  const userTask = suite.createdUserTask;
  const taskState = async (userTaskKey: string) => (await rest().searchUserTasks({ filter: { userTaskKey } } as any)).items[0]?.state;
  const instanceState = async (processInstanceKey: string) => (await rest().searchProcessInstances({ filter: { processInstanceKey } } as any)).items[0]?.state;
  const noIncidents = async (processInstanceKey: string) => {
    if (!externalZeebe) expect(await openIncidents(suite, processInstanceKey)).toEqual([]);
  };
  /** A process started by the signal `name`, so a test can see that a model threw it. */
  const signalProbe = async (name: string) => {
    const id = uniqueId('Process_SignalProbe');
    const type = uniqueId('probe.signal');
    await deployProcess(
      client(),
      id,
      bpmn(
        id,
        `    <bpmn:startEvent id="Start_Signal"><bpmn:signalEventDefinition id="SignalDef_1" signalRef="Signal_Probe" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_Signal" targetRef="Task_Seen" />
    ${serviceTask('Task_Seen', type)}
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Seen" targetRef="End_1" />
    <bpmn:endEvent id="End_1" />`,
        '',
        `  <bpmn:signal id="Signal_Probe" name="${name}" />`,
      ),
    );
    return type;
  };
  /** Signals are not buffered: broadcast until what waits for it has moved on to `type`'s job. */
  const broadcastUntil = async (signalName: string, type: string, variables: Record<string, unknown> = {}) => {
    let seen: ActivatedJob | undefined;
    await eventually(async () => {
      await client().broadcastSignal({ signalName, variables });
      const jobs = await jobsNow(client(), type, 300);
      expect(jobs).toHaveLength(1);
      seen = jobs[0];
    });
    return seen!;
  };

  describe('dealer onboarding (call activity bound to its deployment, event-based gateway, terminate end)', () => {
    const files = ['dealer-credit-account.bpmn', 'dealer-onboarding.bpmn'];
    const application = (applicationId: string, requestedLimit: number, contractDeadline = 'PT1H') => ({
      applicationId,
      dealerCode: 'D-1042',
      requestedLimit,
      contractDeadline,
      application: { companyNumber: '09876543', country: 'GB' },
    });

    it('deploys both models together with their version tags', async () => {
      const deployment = await deploy(...files);
      expect(deployment.deployments.map((d: any) => d.process?.bpmnProcessId)).toEqual(['Process_CreditAccountSetup', 'Process_DealerOnboarding']);
    });

    it('main path: register checked, documents reviewed while the credit account is set up (escalating a capped limit), contract signed', async () => {
      const applicationId = uniqueId('APP');
      const result = withResult('Process_DealerOnboarding', application(applicationId, 3_000_000));
      const check = await job('dealers.check-register');
      const pik = check.processInstanceKey;
      expect(check.customHeaders).toEqual({ registry: 'companies-house', timeoutSeconds: '20' });
      expect(check.retries).toBe(3);
      expect(check.variables).toMatchObject({ companyNumber: '09876543', country: 'GB', applicationId });
      await complete(check, { registeredName: 'Northwind Tools Ltd', registerStatus: 'active' });

      const review = await userTask(pik);
      expect(review).toMatchObject({ name: 'Review dealer documents', candidateGroups: ['channel-manager'], priority: 60, processDefinitionId: 'Process_DealerOnboarding' });
      // The child capped the limit and escalated: the parent's non-interrupting boundary flags the account.
      const flag = await job('dealers.flag-credit-review', pik);
      const open = await job('dealers.open-credit-account');
      expect(open.processInstanceKey).not.toBe(pik);
      expect(open.bpmnProcessId).toBe('Process_CreditAccountSetup');
      expect(open.customHeaders).toEqual({ ledger: 'receivables' });
      expect(open.variables).toMatchObject({ dealerCode: 'D-1042', requestedLimit: 3_000_000, initialLimit: 2_500_000 });
      await complete(flag);
      await complete(open, { creditAccountId: 'CA-77', accountOpenedBy: 'ledger-bot' });
      await rest().completeUserTask({ userTaskKey: review.userTaskKey, variables: { documentsApproved: true } });

      const contract = await job('dealers.send-contract', pik);
      expect(contract.variables).toMatchObject({ companyName: 'Northwind Tools Ltd', creditAccountId: 'CA-77', documentsApproved: true });
      await complete(contract);
      await client().publishMessage({ name: 'DealerContractSigned', correlationKey: applicationId, variables: { signedAt: '2026-03-02T10:00:00Z' }, timeToLive: 10_000 });
      const activate = await job('dealers.activate', pik);
      await complete(activate);

      const { variables } = await result;
      expect(variables).toMatchObject({ companyName: 'Northwind Tools Ltd', creditAccountId: 'CA-77', initialLimit: 2_500_000, documentsApproved: true, signedAt: '2026-03-02T10:00:00Z' });
      // Output mappings keep the rest local: the register's status and the child's own variables stay behind.
      expect(variables).not.toHaveProperty('registerStatus');
      expect(variables).not.toHaveProperty('accountOpenedBy');
      expect(variables).not.toHaveProperty('companyNumber');
      await noIncidents(pik);
    });

    it('a company the register does not know ends the application at the error boundary', async () => {
      const applicationId = uniqueId('APP');
      const result = withResult('Process_DealerOnboarding', application(applicationId, 500_000));
      const check = await job('dealers.check-register');
      await client().throwError({ jobKey: check.key, errorCode: 'REGISTER_NOT_FOUND', errorMessage: 'no such company', variables: { registerChecked: true } } as any);
      expect((await result).variables).toMatchObject({ applicationId, registerChecked: true });
      expect((await rest().searchUserTasks({ filter: { processInstanceKey: check.processInstanceKey } } as any)).items).toHaveLength(0);
    });

    it("a failed credit check in the child ends the child with its error, and the parent's terminate end cancels the document review", async () => {
      const applicationId = uniqueId('APP');
      const result = withResult('Process_DealerOnboarding', application(applicationId, 1_000_000));
      const check = await job('dealers.check-register');
      const pik = check.processInstanceKey;
      await complete(check, { registeredName: 'Southwind Ltd' });
      const review = await userTask(pik);
      const open = await job('dealers.open-credit-account');
      await client().throwError({ jobKey: open.key, errorCode: 'CREDIT_CHECK_FAILED', errorMessage: 'agency declined' });
      await result;
      await eventually(async () => expect(await taskState(review.userTaskKey)).toBe('CANCELED'));
      // Within the standard limit: the child never escalated.
      expect(await jobsNow(client(), 'dealers.flag-credit-review')).toHaveLength(0);
      expect(await instanceState(pik)).toBe('COMPLETED');
    });

    it('an unsigned contract ends at the deadline timer of the event-based gateway', async () => {
      const applicationId = uniqueId('APP');
      const result = withResult('Process_DealerOnboarding', application(applicationId, 1_000_000, 'PT0.3S'));
      const check = await job('dealers.check-register');
      const pik = check.processInstanceKey;
      await complete(check, { registeredName: 'Eastwind Ltd' });
      const review = await userTask(pik);
      await complete(await job('dealers.open-credit-account'), { creditAccountId: 'CA-78' });
      await rest().completeUserTask({ userTaskKey: review.userTaskKey, variables: { documentsApproved: true } });
      await complete(await job('dealers.send-contract', pik));
      expect((await result).variables).toMatchObject({ creditAccountId: 'CA-78' });
      expect(await jobsNow(client(), 'dealers.activate')).toHaveLength(0);
      await noIncidents(pik);
    });
  });

  describe('credit limit approval (task listeners, FEEL script, timer cycle, execution listeners, message end)', () => {
    const request = (overrides: Record<string, unknown> = {}) => ({
      dealerCode: 'D-2001',
      currentExposure: 4_000_000,
      requestedIncrease: 1_500_000,
      autoApprovalLimit: 5_000_000,
      currentLimit: 5_000_000,
      requestedBy: 'li.wei',
      reminderCycle: 'R2/PT0.2S',
      ...overrides,
    });
    /** A REST call the engine answers only once a task listener is done: started, not awaited. */
    const pending = (call: Promise<unknown>) => {
      call.catch(() => undefined);
      return call;
    };

    it('deploys', async () => {
      await deploy('credit-limit-approval.bpmn');
    });

    it('main path: the finance approval runs its creating, assigning and completing listeners, reminds twice, then the limit is applied between audit listeners', async () => {
      const result = withResult('Process_CreditLimitApproval', request());
      const creating = await job('credit.prepare-approval');
      const pik = creating.processInstanceKey;
      expect(creating.variables).toMatchObject({ projectedExposure: 5_500_000, requestedBy: 'li.wei' });
      await complete(creating);
      const task = await userTask(pik);
      expect(task).toMatchObject({ name: 'Approve credit limit', candidateGroups: ['finance'], priority: 80, customHeaders: { notCompletableByVariable: 'requestedBy', completedByVariable: 'financeApprover' } });

      const reminders = await takeJobs(client(), 'credit.remind-approver', 2);
      expect(reminders.every((r) => r.processInstanceKey === pik)).toBe(true);
      for (const reminder of reminders) await complete(reminder);

      const assigned = pending(rest().assignUserTask({ userTaskKey: task.userTaskKey, assignee: 'zhao.min' }));
      await complete(await job('credit.check-approver', pik));
      await assigned;
      const completed = pending(rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { approved: true, financeApprover: 'zhao.min' } }));
      await complete(await job('credit.check-four-eyes', pik));
      await completed;

      const before = await job('credit.audit-before-change', pik);
      expect(before.variables).toMatchObject({ newLimit: 6_500_000, approved: true });
      await complete(before);
      const apply = await job('credit.apply-limit', pik);
      expect(apply.retries).toBe(5);
      expect(apply.variables).toMatchObject({ newLimit: 6_500_000 });
      await complete(apply, { appliedLimit: 6_500_000, ledgerEntry: 'LE-1' });
      const after = await job('credit.audit-after-change', pik);
      expect(after.variables).toMatchObject({ creditLimit: 6_500_000 });
      await complete(after);

      const { variables } = await result;
      expect(variables).toMatchObject({ projectedExposure: 5_500_000, approved: true, financeApprover: 'zhao.min', creditLimit: 6_500_000 });
      expect(variables).not.toHaveProperty('newLimit');
      expect(variables).not.toHaveProperty('ledgerEntry');
      await noIncidents(pik);
    });

    it('within the auto-approval limit no one is asked (default flow)', async () => {
      const result = withResult('Process_CreditLimitApproval', request({ currentExposure: 1_000_000 }));
      const before = await job('credit.audit-before-change');
      await complete(before);
      await complete(await job('credit.apply-limit', before.processInstanceKey), { appliedLimit: 6_500_000 });
      await complete(await job('credit.audit-after-change', before.processInstanceKey));
      expect((await result).variables).toMatchObject({ projectedExposure: 2_500_000, creditLimit: 6_500_000 });
      expect(await jobsNow(client(), 'credit.prepare-approval')).toHaveLength(0);
    });

    it('a rejection ends at the message end event, a job for the notifier', async () => {
      const result = withResult('Process_CreditLimitApproval', request({ requestedIncrease: 800_000, currentExposure: 4_500_000, reminderCycle: 'R1/PT1H' }));
      const creating = await job('credit.prepare-approval');
      const pik = creating.processInstanceKey;
      await complete(creating);
      const task = await userTask(pik);
      expect(task.priority).toBe(50);
      const completed = pending(rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { approved: false } }));
      await complete(await job('credit.check-four-eyes', pik));
      await completed;
      const notice = await job('credit.notify-rejection', pik);
      expect(notice.elementId).toBe(elementId('credit-limit-approval.bpmn', 'Rejection sent to dealer'));
      await complete(notice);
      expect((await result).variables).toMatchObject({ approved: false });
      expect(await jobsNow(client(), 'credit.apply-limit')).toHaveLength(0);
    });
  });

  describe('order approval (DMN discount table with a required decision, multi-instance, signal boundary, timer event subprocess)', () => {
    const order = (overrides: Record<string, unknown> = {}) => ({
      orderId: uniqueId('ORD'),
      salesRep: 'wang.fang',
      annualVolume: 6_000_000,
      orderTotal: 150_000,
      approvalDueDate: '2027-03-01T17:00:00Z',
      approvalReminder: 'PT1H',
      items: [
        { sku: 'DRILL-18V', quantity: 20 },
        { sku: 'SAW-CIRC', quantity: 5 },
      ],
      ...overrides,
    });

    it('deploys the decision and the process together; the decision evaluates on its own', async () => {
      const deployment = await deploy('order-discount.dmn', 'order-approval.bpmn');
      expect(deployment.deployments.filter((d: any) => d.decision).map((d: any) => d.decision.dmnDecisionId).sort()).toEqual(['Decision_CustomerTier', 'Decision_OrderDiscount']);
      const silver = await client().evaluateDecision({ decisionId: 'Decision_OrderDiscount', variables: { annualVolume: 2_000_000, orderTotal: 50_000 } });
      expect(JSON.parse(silver.decisionOutput)).toEqual({ rate: 0.04, needsApproval: false });
    });

    it('main path: a large gold order needs the sales rep, who is nudged and told of a price change; stock is reserved per item', async () => {
      const result = withResult('Process_OrderApproval', order({ approvalReminder: 'PT0.2S' }));
      let task: any;
      await eventually(async () => {
        const found = await rest().searchUserTasks({ filter: { processDefinitionId: 'Process_OrderApproval', state: 'CREATED', assignee: 'wang.fang' } } as any);
        expect(found.items.length).toBeGreaterThan(0);
        task = found.items[found.items.length - 1];
      });
      const pik = String(task.processInstanceKey);
      expect(task).toMatchObject({ name: 'Approve order discount', candidateGroups: ['sales-rep'], dueDate: expect.stringMatching(/^2027-03-01T17:00/) });
      const nudge = await job('orders.nudge-sales-rep', pik);
      await complete(nudge);
      await client().broadcastSignal({ signalName: 'PriceListUpdated', variables: { priceListVersion: '2026-04' } });
      const requote = await job('orders.recalculate-quote', pik);
      await complete(requote);
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { approvedRate: 0.1 } });

      const reservations = await takeJobs(client(), 'orders.reserve-stock', 2);
      expect(reservations.map((r) => (r.variables as any).item.sku).sort()).toEqual(['DRILL-18V', 'SAW-CIRC']);
      expect(reservations.every((r) => r.customHeaders.warehouse === 'central')).toBe(true);
      const credit = await job('orders.check-credit', pik);
      expect(credit.variables).toMatchObject({ netTotal: 135_000 });
      // Completed in reverse: the output collection still follows the items' order.
      for (const r of [...reservations].reverse()) await complete(r, { reservationId: `RES-${(r.variables as any).item.sku}` });
      await complete(credit, { creditOk: true });

      const { variables } = await result;
      expect(variables).toMatchObject({ discount: { rate: 0.12, needsApproval: true }, discountRate: 0.1, reservations: ['RES-DRILL-18V', 'RES-SAW-CIRC'], priceListVersion: '2026-04' });
      expect(variables).not.toHaveProperty('approvedRate');
      await noIncidents(pik);
    });

    it("a bronze dealer's order skips approval, and a credit rejection puts it on hold, ending everything", async () => {
      const result = withResult('Process_OrderApproval', order({ annualVolume: 100_000, orderTotal: 40_000 }));
      const credit = await job('orders.check-credit');
      const pik = credit.processInstanceKey;
      expect(credit.variables).toMatchObject({ discount: { rate: 0, needsApproval: false }, netTotal: 40_000 });
      const reservations = await takeJobs(client(), 'orders.reserve-stock', 2, { timeout: 2_000 });
      await client().throwError({ jobKey: credit.key, errorCode: 'CREDIT_REJECTED', errorMessage: 'over limit' });
      await complete(await job('orders.hold', pik), { holdReason: 'credit' });
      expect((await result).variables).toMatchObject({ holdReason: 'credit' });
      await expect(complete(reservations[0]!)).rejects.toMatchObject({ code: 5 });
      expect((await rest().searchUserTasks({ filter: { processInstanceKey: pik } } as any)).items).toHaveLength(0);
    });
  });

  describe('rebate settlement (sequential multi-instance subprocess, inclusive gateway, link, call activity, signal end)', () => {
    const dealers = [
      { code: 'D-1', volume: 2_000_000, programme: 'gold' },
      { code: 'D-2', volume: 300_000, programme: 'standard' },
      { code: 'D-3', volume: 100_000, programme: 'standard' },
    ];

    it('deploys the credit-note process it calls and itself (its monthly timer start waits until 2030)', async () => {
      await deploy('credit-note-issue.bpmn', 'rebate-settlement.bpmn');
    });

    it('main path: each dealer in turn gets its rate, rebate and bonus, the credit notes are issued and the settlement is signalled', async () => {
      const probe = await signalProbe('RebatesSettled');
      const result = withResult('Process_RebateSettlement');
      const collect = await job('rebates.collect-volumes');
      const pik = collect.processInstanceKey;
      expect(collect.customHeaders).toEqual({ period: 'previous-month' });
      await complete(collect, { dealers });

      const rates = [0.02, 0.01, 0];
      for (const [i, dealer] of dealers.entries()) {
        const rate = await job('rebates.determine-rate', pik);
        // One at a time, each with its own dealer; the input mappings reset what the last one set.
        expect(rate.variables).toMatchObject({ dealer, volume: dealer.volume, programme: dealer.programme, rate: 0, loopCounter: i + 1 });
        expect(await jobsNow(client(), 'rebates.determine-rate', 100)).toHaveLength(0);
        await complete(rate, { rate: rates[i] });
      }

      const notes = await takeJobs(client(), 'finance.issue-credit-note', 2);
      expect(notes.map((n) => (n.variables as any).note).sort((a: any, b: any) => a.dealerCode.localeCompare(b.dealerCode))).toEqual([
        { dealerCode: 'D-1', amount: 90_000 },
        { dealerCode: 'D-2', amount: 3_000 },
      ]);
      expect(notes[0]!.customHeaders).toEqual({ documentType: 'credit-note' });
      for (const n of notes) await complete(n, { creditNoteNumber: `CN-${(n.variables as any).note.dealerCode}` });
      const statement = await job('rebates.render-statement', pik);
      expect(statement.customHeaders).toEqual({ template: 'rebates/statement' });
      await complete(statement);

      const settlements = [
        { dealerCode: 'D-1', rebate: 40_000, bonus: 50_000 },
        { dealerCode: 'D-2', rebate: 3_000, bonus: 0 },
        { dealerCode: 'D-3', rebate: 0, bonus: 0 },
      ];
      // Only what the model propagates reaches the process: no rate, dealer or child variable.
      expect((await result).variables).toEqual({ dealers, settlements, creditNoteNumbers: ['CN-D-1', 'CN-D-2'] });
      await job(probe);
      await noIncidents(pik);
    });

    it('a month without invoiced volume settles nothing and calls for no credit note', async () => {
      const result = withResult('Process_RebateSettlement');
      const collect = await job('rebates.collect-volumes');
      await complete(collect, { dealers: [] });
      await complete(await job('rebates.render-statement', collect.processInstanceKey));
      expect((await result).variables).toEqual({ dealers: [], settlements: [], creditNoteNumbers: [] });
      expect(await jobsNow(client(), 'finance.issue-credit-note')).toHaveLength(0);
    });
  });

  describe('training enrolment (message start, receive task, boundary timer and signal, signal and date timer catch, message event subprocess)', () => {
    const enrol = async (overrides: Record<string, unknown> = {}) => {
      const enrolmentId = uniqueId('ENR');
      await client().publishMessage({
        name: 'TrainingEnrolmentRequested',
        correlationKey: enrolmentId,
        variables: { enrolmentId, courseCode: 'BMS-201', dealerCode: 'D-3100', reminderDelay: 'PT0.2S', sessionStart: new Date(Date.now() + 800).toISOString(), ...overrides },
        timeToLive: 0,
      });
      const reserve = await job('training.reserve-seat');
      expect(reserve.variables).toMatchObject({ enrolmentId, course: 'BMS-201' });
      return { enrolmentId, reserve, pik: reserve.processInstanceKey };
    };

    it('deploys', async () => {
      await deploy('training-enrolment.bpmn');
    });

    it('main path: a message starts it; reminded, rescheduled, confirmed, materials published, session held, completion recorded', async () => {
      const { enrolmentId, reserve, pik } = await enrol();
      await complete(reserve, { seatNumber: 12, seatPool: 'north' });
      await complete(await job('training.send-reminder', pik));
      await client().publishMessage({ name: 'TrainingEnrolmentChanged', correlationKey: enrolmentId, variables: { attendeeName: 'Zhang Wei' }, timeToLive: 0 });
      await complete(await job('training.update-attendees', pik));
      await client().publishMessage({ name: 'TrainingSeatConfirmed', correlationKey: enrolmentId, variables: { room: 'Academy 2' }, timeToLive: 10_000 });
      const record = await broadcastUntil('TrainingMaterialsPublished', 'training.record-completion');
      expect(record.processInstanceKey).toBe(pik);
      expect(Date.parse((record.variables as any).sessionStart)).toBeLessThanOrEqual(Date.now());
      expect(record.customHeaders).toEqual({ lms: 'dealer-academy' });
      expect(record.variables).toMatchObject({ seatNumber: 12, enrolmentStatus: 'confirmed', room: 'Academy 2', attendeeName: 'Zhang Wei' });
      expect(record.variables).not.toHaveProperty('seatPool');
      await complete(record);
      await eventually(async () => expect(await instanceState(pik)).toBe('COMPLETED'));
      await noIncidents(pik);
    });

    it('a cancelled course interrupts the wait for confirmation and refunds the fee', async () => {
      const { reserve, pik } = await enrol({ reminderDelay: 'PT1H' });
      await complete(reserve, { seatNumber: 3 });
      const refund = await broadcastUntil('TrainingCourseCancelled', 'training.refund-fee');
      expect(refund.processInstanceKey).toBe(pik);
      await complete(refund);
      await eventually(async () => expect(await instanceState(pik)).toBe('COMPLETED'));
      expect(await jobsNow(client(), 'training.send-reminder')).toHaveLength(0);
    });
  });

  describe('gift request approval (Camunda user task, ad-hoc subprocess with a job-based user task, message boundary, message throw and end)', () => {
    const file = 'gift-request-approval.bpmn';
    const request = (overrides: Record<string, unknown> = {}) => ({
      giftRequestId: uniqueId('GIFT'),
      region: 'north',
      budgetRemaining: 100_000,
      giftValue: 25_000,
      engravingText: 'Thank you, Northwind',
      warehouseClerk: 'sun.li',
      preparationSteps: [elementId(file, 'Engrave gift'), elementId(file, 'Write greeting card')],
      ...overrides,
    });

    it('deploys', async () => {
      await deploy(file);
    });

    it('main path: approved by the region, prepared as asked, shipped to a corrected address, dealer notified', async () => {
      const variables = request();
      const result = withResult('Process_GiftRequestApproval', variables);
      let task: any;
      await eventually(async () => {
        const found = await rest().searchUserTasks({ filter: { processDefinitionId: 'Process_GiftRequestApproval', state: 'CREATED' } } as any);
        task = found.items.find((t: any) => t.candidateGroups?.includes('channel-manager:north'));
        expect(task).toBeDefined();
      });
      const pik = String(task.processInstanceKey);
      expect(task.customHeaders).toEqual({ completedByVariable: 'giftApprover' });
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { giftApproved: true } });

      const engrave = await job('gifts.engrave', pik);
      expect(engrave.variables).toMatchObject({ text: 'Thank you, Northwind' });
      const card = await job('gifts.write-card', pik);
      await complete(card);
      // Packing follows the card inside the ad-hoc subprocess: a job-based user task (a warehouse app).
      const [pack] = await eventually(async () => {
        const jobs = (await jobsNow(client(), 'io.camunda.zeebe:userTask')).filter((j) => j.processInstanceKey === pik);
        expect(jobs).toHaveLength(1);
        return jobs;
      });
      expect(pack!.customHeaders).toMatchObject({ 'io.camunda.zeebe:assignee': 'sun.li', station: 'gift-wrap' });
      expect(JSON.parse(pack!.customHeaders['io.camunda.zeebe:candidateGroups'] as string)).toEqual(['warehouse']);
      await complete(pack!, { packedBy: 'sun.li' });
      await complete(engrave, { engraved: true });

      const ship = await job('gifts.ship', pik);
      await client().publishMessage({ name: 'GiftAddressChanged', correlationKey: variables.giftRequestId, variables: { shippingAddress: '1 Harbour Road' }, timeToLive: 0 });
      await complete(await job('gifts.update-address', pik));
      await complete(ship, { trackingNumber: 'TN-881', carrier: 'dhl' });
      const notify = await job('gifts.notify-dealer', pik);
      expect(notify.variables).toMatchObject({ trackingNumber: 'TN-881', shippingAddress: '1 Harbour Road' });
      await complete(notify);

      const done = (await result).variables;
      expect(done).toMatchObject({ budgetAfter: 75_000, giftApproved: true, engraved: true, packedBy: 'sun.li', trackingNumber: 'TN-881' });
      expect(done).not.toHaveProperty('carrier');
      await noIncidents(pik);
    });

    it('over budget: declined at the message end event, no one asked', async () => {
      const result = withResult('Process_GiftRequestApproval', request({ giftValue: 150_000 }));
      const decline = await job('gifts.send-decline');
      expect(decline.variables).toMatchObject({ budgetAfter: -50_000 });
      await complete(decline);
      await result;
      expect((await rest().searchUserTasks({ filter: { processInstanceKey: decline.processInstanceKey } } as any)).items).toHaveLength(0);
    });
  });

  describe('return handling (compensation handlers, activityRef throw, compensation end, call activity by version tag)', () => {
    const returned = () => ({ returnId: uniqueId('RET'), dealerCode: 'D-9', refundAmount: 12_000 });
    const upToInspection = async () => {
      const reserve = await job('returns.reserve-refund');
      const pik = reserve.processInstanceKey;
      await complete(reserve, { reservationId: 'RR-1' });
      await complete(await job('returns.book-restock', pik), { restocked: true });
      return { pik, task: await userTask(pik) };
    };

    it('deploys (with the credit-note process of version tag 2.0.0)', async () => {
      await deploy('credit-note-issue.bpmn', 'return-handling.bpmn');
    });

    it('main path: goods accepted, credit note issued by the tagged version, nothing compensated', async () => {
      const result = withResult('Process_ReturnHandling', returned());
      const { pik, task } = await upToInspection();
      expect(task).toMatchObject({ name: 'Inspect goods', candidateGroups: ['warehouse'] });
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { goodsAcceptable: true } });
      const note = await job('finance.issue-credit-note');
      expect(note.bpmnProcessId).toBe('Process_CreditNoteIssue');
      expect(note.variables).toMatchObject({ note: { dealerCode: 'D-9', amount: 12_000 } });
      await complete(note, { creditNoteNumber: 'CN-9' });
      expect((await result).variables).toMatchObject({ refundReservationId: 'RR-1', restocked: true, creditNoteNumber: 'CN-9' });
      expect(await jobsNow(client(), 'returns.release-refund')).toHaveLength(0);
      await noIncidents(pik);
    });

    it('rejected goods: the refund reservation is released first, then the compensation end undoes the stock booking only', async () => {
      const result = withResult('Process_ReturnHandling', returned());
      const { pik, task } = await upToInspection();
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { goodsAcceptable: false } });
      const release = await job('returns.release-refund', pik);
      expect(release.variables).toMatchObject({ refundReservationId: 'RR-1' });
      await complete(release);
      await complete(await job('returns.notify-rejection', pik));
      expect((await result).variables).toMatchObject({ goodsAcceptable: false, restocked: false });
      // The refund was compensated already: the end event does not run its handler again.
      expect(await jobsNow(client(), 'returns.release-refund')).toHaveLength(0);
      expect(await jobsNow(client(), 'finance.issue-credit-note')).toHaveLength(0);
    });
  });

  describe('complaint escalation (escalations, event subprocesses of every trigger, signal start and throw, timer boundary on a subprocess)', () => {
    const register = async (severity?: string) => {
      const complaintId = uniqueId('CMP');
      // The caller names the complaint: the withdrawal subscription opens with the instance.
      const result = withResult('Process_ComplaintEscalation', { complaintId, customerId: 'C-77', resolutionDeadline: 'PT1H', ...(severity ? { severity } : {}) });
      const reg = await job('complaints.register');
      expect(reg.variables).toMatchObject({ complaintId });
      await complete(reg, { caseNumber: 'CS-1001', channel: 'phone' });
      const pik = reg.processInstanceKey;
      return { complaintId, result, pik, task: await userTask(pik) };
    };

    it('deploys', async () => {
      await deploy('complaint-escalation.bpmn');
    });

    it('main path: a minor complaint is investigated and resolved; a recall update reaches the customer meanwhile', async () => {
      const { complaintId, result, pik, task } = await register();
      expect(task).toMatchObject({ name: 'Investigate complaint', candidateGroups: ['customer-care'], priority: 50 });
      await client().broadcastSignal({ signalName: 'ProductRecallUpdated', variables: { recallCode: 'RC-12' } });
      await complete(await job('complaints.inform-recall', pik));
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: { findings: 'loose cable' } });
      await complete(await job('complaints.propose-resolution', pik), { resolution: 'replace cable' });
      const { variables } = await result;
      expect(variables).toMatchObject({ complaintId, caseNumber: 'CS-1001', severity: 'minor', findings: 'loose cable', resolution: 'replace cable', recallCode: 'RC-12' });
      expect(variables).not.toHaveProperty('channel');
      await noIncidents(pik);
    });

    it('a major complaint throws SLA_AT_RISK to the non-interrupting escalation event subprocess and carries on', async () => {
      const { result, pik, task } = await register('major');
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: {} });
      const alert = await job('complaints.alert-manager', pik);
      const propose = await job('complaints.propose-resolution', pik);
      await complete(alert, { managerAlerted: true });
      await complete(propose, { resolution: 'refund' });
      expect((await result).variables).toMatchObject({ severity: 'major', managerAlerted: true, resolution: 'refund' });
    });

    it('a critical complaint ends the subprocess at the escalation boundary and raises the quality alert signal', async () => {
      const probe = await signalProbe('QualityAlertRaised');
      const { result, pik, task } = await register('critical');
      expect(task.priority).toBe(100);
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: {} });
      await complete(await job('complaints.open-quality-case', pik), { qualityCase: 'QC-5' });
      expect((await result).variables).toMatchObject({ qualityCase: 'QC-5' });
      await job(probe);
      expect(await jobsNow(client(), 'complaints.propose-resolution')).toHaveLength(0);
    });

    it('an unreachable customer (a BPMN error from the worker) is handled by the interrupting error event subprocess', async () => {
      const { result, pik, task } = await register();
      await rest().completeUserTask({ userTaskKey: task.userTaskKey, variables: {} });
      const propose = await job('complaints.propose-resolution', pik);
      await client().throwError({ jobKey: propose.key, errorCode: 'CUSTOMER_UNREACHABLE', errorMessage: 'three calls unanswered' });
      await complete(await job('complaints.close-unresolved', pik), { closedUnresolved: true });
      expect((await result).variables).toMatchObject({ closedUnresolved: true });
    });

    it('a withdrawal message interrupts the whole complaint and cancels the investigation', async () => {
      const { complaintId, result, pik, task } = await register();
      await client().publishMessage({ name: 'ComplaintWithdrawn', correlationKey: complaintId, variables: { withdrawnBy: 'customer' }, timeToLive: 0 });
      await complete(await job('complaints.confirm-withdrawal', pik));
      expect((await result).variables).toMatchObject({ withdrawnBy: 'customer' });
      expect(await taskState(task.userTaskKey)).toBe('CANCELED');
    });

    it('a recall signal starts a complaint, and its overdue timer interrupts the investigation', async () => {
      await client().broadcastSignal({ signalName: 'ProductRecallAnnounced', variables: { complaintId: uniqueId('CMP'), customerId: 'C-RECALL', resolutionDeadline: 'PT0.3S', severity: 'major' } });
      const reg = await job('complaints.register');
      expect(reg.variables).toMatchObject({ customerId: 'C-RECALL' });
      const pik = reg.processInstanceKey;
      await complete(reg, { caseNumber: 'CS-1002' });
      const task = await userTask(pik);
      const overdue = await job('complaints.escalate-overdue', pik);
      await eventually(async () => expect(await taskState(task.userTaskKey)).toBe('CANCELED'));
      await complete(overdue);
      await eventually(async () => expect(await instanceState(pik)).toBe('COMPLETED'));
      await noIncidents(pik);
    });
  });
});
