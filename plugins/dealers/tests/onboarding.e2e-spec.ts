import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Camunda8 } from '@camunda8/sdk';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { creditCodeCheckCharacter } from '../src/services/tax-id';
import { businessLicenceToken, removeUploadedFiles } from './support/documents';

const SUBMIT = 'mutation ($input: DealerApplicationInput!) { submitDealerApplication(input: $input) { number status } }';
const ANSWER = 'mutation ($token: String!, $answer: String!) { answerDealerApplication(token: $token, answer: $answer) { number status } }';
const APPLICATION = `query ($number: ID!) { dealerApplication(number: $number) {
  number status decisionNote infoQuestion infoAnswer dealer { code } trail { action by note } } }`;
const INBOX = '{ taskInbox(pageSize: 100) { nodes { id name variables form } } }';
const CLAIM = 'mutation ($id: ID!) { claimTask(id: $id) { id } }';
const COMPLETE = 'mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { state } }';

let serial = 0;
/** A fresh, valid unified social credit code per applicant. */
const taxId = () => {
  serial += 1;
  const body = `91330100${String(Date.now() % 1e6).padStart(6, '0')}${String(serial).padStart(3, '0')}`;
  return body + creditCodeCheckCharacter(body);
};
/** Business licences uploaded in beforeAll (the required document), one per application. */
const licences: string[] = [];
const licence = () => licences.shift() ?? (() => { throw new Error('upload more licences in beforeAll'); })();
const application = (overrides: Record<string, unknown> = {}) => ({
  companyName: 'Hangzhou Mingyang Home Appliances Co., Ltd.',
  taxId: taxId(),
  contactName: 'Chen Jing',
  contactEmail: `chen.jing.${serial}@mingyang.example.com`,
  contactPhone: '+86 571 8888 1234',
  regionCode: 'EAST',
  dealerType: 'store',
  annualVolumeMinor: 300_000_000,
  regionsWanted: ['Hangzhou', 'Shaoxing'],
  locale: 'en',
  documents: [licence()],
  ...overrides,
});

/** Given / When / Then through the real engine with workflows/dealers-onboarding.bpmn. */
describe('dealer onboarding process', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient & { user: { email: string } };
  let rep: GraphqlClient & { user: { email: string } };
  const EAST_TEAM = { code: 'EAST-T', regionCode: 'EAST' };
  const mails = (to: string, template: string) => env.strapi.db.query('api::outbox-message.outbox-message').findMany({ where: { to, template: `dealers/${template}` } });
  const statusOf = (number: string, wanted: string) =>
    eventually(async () => {
      const { dealerApplication } = await manager.query(APPLICATION, { number });
      if (dealerApplication.status !== wanted) throw new Error(`${number} is ${dealerApplication.status}, waiting for ${wanted}`);
      return dealerApplication;
    });
  const reviewTask = (number: string, skip: string[] = []) =>
    eventually(async () => {
      const task = (await manager.query(INBOX)).taskInbox.nodes.find((t: any) => t.variables.applicationNumber === number && !skip.includes(t.id));
      if (!task) throw new Error(`no review task for ${number} yet`);
      return task;
    });
  const review = async (task: { id: string }, vars: Record<string, unknown>) => {
    await manager.query(CLAIM, { id: task.id });
    await manager.query(COMPLETE, { id: task.id, vars });
  };
  const answerToken = async (to: string) => {
    const [mail] = await env.mailbox(to, 'dealers/application-needs-info');
    const token = /application-answer\?token(?:=|&#x3D;)([A-Za-z0-9_-]+)/.exec(mail?.html ?? '')?.[1];
    if (!token) throw new Error(`no question e-mailed to ${to}`);
    return token;
  };

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { DEALERS_INFO_ANSWER_WINDOW: 'PT8S', DEALERS_APPLICATIONS_PER_HOUR: '100' } });
    await env.strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East China' } });
    // Reviews go to the channel managers of the applicant's region; new dealers to its team's reps.
    manager = await env.asStaff('channel-manager', { team: EAST_TEAM });
    rep = await env.asStaff('sales-rep', { team: EAST_TEAM });
    for (let i = 0; i < 12; i += 1) licences.push(await businessLicenceToken(env));
  });
  afterAll(async () => {
    await removeUploadedFiles(env);
    await env?.destroy();
  });

  it('approval creates an active dealer with credit, invites its owner, welcomes it and announces onboarding.completed', async () => {
    // A process of another plug-in (training, say) that starts when a dealer is onboarded.
    const client = new Camunda8({ ZEEBE_GRPC_ADDRESS: env.zeebeAddress, CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: env.zeebeToken, zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' } } as any).getZeebeGrpcApiClient();
    await client.deployResource({
      name: 'test-onboarded-listener.bpmn',
      process: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://x">
  <bpmn:process id="test-onboarded-listener" isExecutable="true">
    <bpmn:startEvent id="Start"><bpmn:messageEventDefinition messageRef="M" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="F" sourceRef="Start" targetRef="End" /><bpmn:endEvent id="End" />
  </bpmn:process>
  <bpmn:message id="M" name="onboarding.completed" />
</bpmn:definitions>`),
    });
    await client.close();

    const input = application();
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input });
    expect(receipt).toMatchObject({ number: expect.stringMatching(/^APP-\d{8}-[0-9A-F]{6}$/), status: 'in_review' });
    const task = await reviewTask(receipt.number);
    expect(task.name).toBe('Review application');
    expect(task.form.components.map((c: any) => c.key).filter(Boolean)).toEqual(['reviewDecision', 'tier', 'reviewNote']);
    expect(await mails(input.contactEmail, 'application-received')).toHaveLength(1);

    await review(task, { reviewDecision: 'approve', tier: 'silver', reviewNote: 'Strong store network' });
    const approved = await eventually(async () => {
      const a = await statusOf(receipt.number, 'approved');
      if (!a.trail.some((s: any) => s.action === 'letter sent (welcome)')) throw new Error('no welcome yet');
      return a;
    });
    expect(approved.trail.find((s: any) => s.action === 'approved')).toMatchObject({ by: manager.user.email, note: 'Strong store network' });
    const dealer = await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { code: approved.dealer.code } });
    expect(dealer).toMatchObject({
      name: input.companyName,
      taxId: input.taxId,
      tier: 'silver',
      lifecycleStatus: 'active',
      dealerType: 'store',
      salesRep: expect.stringContaining('@'),
      contacts: [{ name: 'Chen Jing', role: 'owner', email: input.contactEmail, phone: '+86 571 8888 1234' }],
    });
    const credit = await env.strapi.plugin('dealers').service('credit').summary(dealer.id);
    expect(credit).toMatchObject({ limitCents: 200_000_000, currency: 'CNY' });
    expect(await mails(input.contactEmail, 'invitation')).toHaveLength(1);
    expect((await mails(input.contactEmail, 'application-welcome'))[0].subject).toContain(dealer.code);
    const history = await env.strapi.plugin('dealers').service('dealers').statusHistory(dealer.id);
    expect(history.map((h: any) => h.toStatus)).toEqual(['onboarding', 'active']);
    // Announced once, after the approval's commit, as the domain event dealers.onboarded.
    const onboarded = await env.strapi.db.connection('channelflow_outbox_effects').where({ key: `event:dealers.onboarded:${dealer.code}` });
    expect(onboarded).toHaveLength(1);
    expect(JSON.parse(onboarded[0].payload).payload).toEqual({ dealerId: dealer.id, dealerCode: dealer.code, applicationNumber: receipt.number, tier: 'silver', regionCode: input.regionCode, ownerEmail: input.contactEmail });
    await eventually(async () => {
      const started = await env.strapi.db.connection('wf_process_instances').where({ bpmn_process_id: 'test-onboarded-listener' });
      expect(started).toHaveLength(1);
      expect(JSON.parse(started[0].variables ?? '{}')).toMatchObject({ dealerCode: dealer.code, tier: 'silver' });
    });
  });

  it('routes the review to the channel managers of the applicant\'s region and the new dealer to that region\'s team', async () => {
    const south = await env.asStaff('channel-manager', { team: { code: 'SOUTH-T', regionCode: 'SOUTH' } });
    const unteamed = await env.asStaff('channel-manager');
    await env.asStaff('sales-rep'); // a rep with no dealers and no team: not chosen for an EAST dealer
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input: application() });
    const task = await reviewTask(receipt.number);
    expect(task.variables.regionCode).toBe('EAST');
    for (const other of [south, unteamed]) {
      expect((await other.query(INBOX)).taskInbox.nodes.some((t: any) => t.variables.applicationNumber === receipt.number)).toBe(false);
      await other.expectError('NOT_FOUND', CLAIM, { id: task.id });
    }
    await review(task, { reviewDecision: 'approve', tier: 'bronze' });
    const approved = await eventually(() => statusOf(receipt.number, 'approved'));
    const dealer = await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { code: approved.dealer.code } });
    expect(dealer).toMatchObject({ salesRep: rep.user.email, salesTeam: 'EAST-T' });

    // A retried create-dealer job (the engine re-delivers it after a crash) finds the dealer and invites nobody twice.
    // The first run has finished by then (its invitation is out): the status shows before the invitation does.
    await eventually(async () => expect(await env.strapi.db.query('plugin::dealers.invitation').count({ where: { dealerId: dealer.id } })).toBe(1));
    const record = await env.strapi.db.query('plugin::dealers.application').findOne({ where: { number: receipt.number } });
    const job = { key: '1', processInstanceKey: '1', bpmnProcessId: 'dealers-onboarding', elementId: 'Task_CreateDealer', retries: 2, customHeaders: {} };
    const log = { info() {}, warn() {}, error() {} } as any;
    const again = await platformRegistry(env.strapi).runJob('dealers.create-dealer', { applicationId: record.id, tier: 'gold' }, { strapi: env.strapi, job, log });
    expect(again).toEqual({ dealerId: dealer.id, dealerCode: dealer.code });
    expect(await env.strapi.db.query('plugin::dealers.dealer').count({ where: { taxId: dealer.taxId } })).toBe(1);
    expect(await env.strapi.db.query('plugin::dealers.invitation').count({ where: { dealerId: dealer.id } })).toBe(1);
    expect((await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: dealer.id } })).tier).toBe('bronze');
    expect(await env.strapi.db.connection('channelflow_outbox_effects').where({ key: `event:dealers.onboarded:${dealer.code}` })).toHaveLength(1);
  });

  it('automatic checks reject a tax id that already is a dealer, without a review', async () => {
    const existing = application();
    await env.strapi.plugin('dealers').service('dealers').create({ code: 'EXIST-01', name: 'Existing Dealer', taxId: existing.taxId });
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input: existing });
    const rejected = await statusOf(receipt.number, 'rejected');
    // Staff see why in the trail; the applicant, who may have typed anyone's tax id, is not told who is a dealer.
    expect(rejected.trail.find((s: any) => s.action === 'checks failed').note).toBe(`Tax id ${existing.taxId} already belongs to dealer EXIST-01`);
    expect(rejected.decisionNote).not.toContain('EXIST-01');
    expect((await manager.query(INBOX)).taskInbox.nodes.some((t: any) => t.variables.applicationNumber === receipt.number)).toBe(false);
    await eventually(async () => expect((await mails(existing.contactEmail, 'application-rejected'))[0]?.html).toContain('We cannot accept this application'));
    expect((await mails(existing.contactEmail, 'application-rejected'))[0].html).not.toContain('EXIST-01');
  });

  it('a question goes to the applicant; the answer brings it back to review, where it is rejected with a reason', async () => {
    const input = application();
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input });
    const first = await reviewTask(receipt.number);
    await review(first, { reviewDecision: 'needs_info', reviewNote: 'Which brands do you sell today?' });
    await statusOf(receipt.number, 'needs_info');
    const token = await eventually(() => answerToken(input.contactEmail));
    expect((await env.anonymous.query(ANSWER, { token, answer: 'Midea and Haier, 4 stores' })).answerDealerApplication.status).toBe('in_review');
    await env.anonymous.expectError('ANSWER_LINK_INVALID', ANSWER, { token, answer: 'Again' });

    const second = await reviewTask(receipt.number, [first.id]);
    expect(second.variables).toMatchObject({ infoAnswer: 'Midea and Haier, 4 stores' });
    await review(second, { reviewDecision: 'reject', reviewNote: 'Region already covered' });
    const rejected = await statusOf(receipt.number, 'rejected');
    expect(rejected).toMatchObject({ infoQuestion: 'Which brands do you sell today?', infoAnswer: 'Midea and Haier, 4 stores', decisionNote: 'Region already covered' });
    expect(rejected.trail.map((s: any) => s.action)).toEqual(expect.arrayContaining(['information requested', 'information provided', 'rejected']));
  });

  it('without an answer in time the application expires and its link stops working', async () => {
    const input = application();
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input });
    await review(await reviewTask(receipt.number), { reviewDecision: 'needs_info', reviewNote: 'Please send your business licence' });
    const token = await eventually(() => answerToken(input.contactEmail));
    const expired = await eventually(() => statusOf(receipt.number, 'expired'), { timeoutMs: 30_000 });
    expect(expired.trail.at(-1)).toMatchObject({ action: 'expired', note: 'no answer in time' });
    await env.anonymous.expectError('ANSWER_LINK_INVALID', ANSWER, { token, answer: 'Too late' });
  });

  it('lets exactly one of five simultaneous applications for one tax id in', async () => {
    const input = application({ documents: [] });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => env.anonymous.request(SUBMIT, { input: { ...input, contactEmail: `race.${i}@example.com` } })),
    );
    expect(results.filter((r) => r.data?.submitDealerApplication).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT').length).toBe(4);
    expect(await env.strapi.db.query('plugin::dealers.application').count({ where: { taxId: input.taxId } })).toBe(1);
  });

  it('refuses bad and duplicate applications and writes nothing', async () => {
    const count = () => env.strapi.db.query('plugin::dealers.application').count({});
    const before = await count();
    const bad = await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application({ taxId: '91330100799655058C' }) });
    expect(bad.message).toContain('check character is wrong');
    await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application({ contactEmail: 'not-an-address' }) });
    await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application({ regionCode: 'MARS' }) });
    expect(await count()).toBe(before);
    const input = application();
    const { submitDealerApplication: first } = await env.anonymous.query(SUBMIT, { input });
    const duplicate = await env.anonymous.expectError('CONFLICT', SUBMIT, { input: { ...input, contactEmail: 'someone.else@example.com' } });
    // Anyone may know a tax id: the refusal does not name the application under review.
    expect(duplicate.message).toBe('An application for this tax id is already being reviewed');
    expect(JSON.stringify(duplicate)).not.toContain(first.number);
    expect(await count()).toBe(before + 1);
    // Dealer portal users and anonymous callers do not read applications.
    await env.anonymous.expectError('UNAUTHENTICATED', APPLICATION, { number: first.number });
    // Applications hold applicants' documents: reps and finance do not read them.
    await rep.expectError('FORBIDDEN', APPLICATION, { number: first.number });
    await (await env.asStaff('finance')).expectError('FORBIDDEN', '{ dealerApplications { total } }');
  });
});
