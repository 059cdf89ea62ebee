import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const FIELDS = 'number kind channel subject status assignee dueAt overdue reply score trail { action by note }';
const LOG = `mutation ($code: String!, $kind: ServiceRecordKind!, $channel: ServiceChannel!, $subject: String!, $content: String!, $surveyType: String, $score: Int) {
  logServiceRecord(dealerCode: $code, kind: $kind, channel: $channel, subject: $subject, content: $content, surveyType: $surveyType, score: $score) { ${FIELDS} } }`;
// What a dealer sees: the handler and everyone on the brand's side by role, not by address.
const DEALER_FIELDS = 'number kind channel subject status handledBy dueAt overdue reply score recordedBy trail { action by note }';
const FILE = `mutation ($subject: String!, $content: String!) { fileComplaint(subject: $subject, content: $content) { ${DEALER_FIELDS} } }`;
const ASSIGN = `mutation ($n: ID!, $to: String!) { assignComplaint(number: $n, assignee: $to) { ${FIELDS} } }`;
const START = `mutation ($n: ID!) { startComplaint(number: $n) { ${FIELDS} } }`;
const REPLY = `mutation ($n: ID!, $reply: String!) { replyToComplaint(number: $n, reply: $reply) { ${FIELDS} } }`;
const CLOSE_MINE = `mutation ($n: ID!) { closeMyComplaint(number: $n, note: "Thanks") { ${DEALER_FIELDS} } }`;
const MINE = `query ($kind: ServiceRecordKind) { myServiceRecords(kind: $kind) { total nodes { number kind status } } }`;
const LIST = `query ($code: String, $overdue: Boolean, $mine: Boolean) { serviceRecords(dealerCode: $code, overdueOnly: $overdue, assignedToMe: $mine) { total nodes { number overdue } } }`;

describe('dealer service records', () => {
  let env: TestEnvironment;
  let a: DealerRef;
  let b: DealerRef;
  let manager: GraphqlClient & { user: { email: string } };
  let rep: GraphqlClient & { user: { email: string } };
  beforeAll(async () => {
    env = await createTestEnvironment();
    [a, b] = [await env.createDealer(), await env.createDealer()];
    manager = await env.asStaff('channel-manager');
    rep = await env.asStaff('sales-rep');
    // Sales reps work with the dealers assigned to them.
    for (const dealer of [a, b]) await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { salesRep: rep.user.email } });
  });
  afterAll(() => env?.destroy());

  it('a complaint filed in the portal is accepted with a due date, assigned, handled, replied to and closed by the dealer', async () => {
    const owner = await env.asDealer(a, 'owner');
    const { fileComplaint: filed } = await owner.query(FILE, { subject: 'Damaged delivery', content: '3 of 20 fridges arrived dented' });
    expect(filed).toMatchObject({ kind: 'complaint', channel: 'portal', status: 'accepted', handledBy: null, recordedBy: owner.user.email, overdue: false });
    expect(Date.parse(filed.dueAt) - Date.now()).toBeGreaterThan(2.9 * 86_400_000);

    await rep.expectError('FORBIDDEN', ASSIGN, { n: filed.number, to: rep.user.email }); // managers assign
    await manager.expectError('NOT_FOUND', ASSIGN, { n: filed.number, to: 'nobody@example.com' });
    await manager.expectError('CONFLICT', REPLY, { n: filed.number, reply: 'Too early' });
    expect((await manager.query(ASSIGN, { n: filed.number, to: rep.user.email })).assignComplaint).toMatchObject({ status: 'assigned', assignee: rep.user.email });
    const other = await env.asStaff('sales-rep');
    await other.expectError('NOT_FOUND', START, { n: filed.number }); // neither their dealer nor their complaint
    expect((await rep.query(START, { n: filed.number })).startComplaint.status).toBe('in_progress');
    expect((await rep.query(LIST, { mine: true })).serviceRecords.nodes.map((r: any) => r.number)).toEqual([filed.number]);
    await rep.expectError('BAD_INPUT', REPLY, { n: filed.number, reply: '' });
    const replied = (await rep.query(REPLY, { n: filed.number, reply: 'Replacements ship tomorrow' })).replyToComplaint;
    expect(replied).toMatchObject({ status: 'replied', reply: 'Replacements ship tomorrow' });

    const closed = (await owner.query(CLOSE_MINE, { n: filed.number })).closeMyComplaint;
    expect(closed).toMatchObject({ status: 'closed', handledBy: 'Sales rep', reply: 'Replacements ship tomorrow' });
    expect(closed.trail.map((t: any) => `${t.action} by ${t.by}: ${t.note}`)).toEqual([
      `accepted by ${owner.user.email}: null`,
      'assign by Channel manager: Sales rep',
      'start by Sales rep: null',
      'reply by Sales rep: Replacements ship tomorrow',
      `close by ${owner.user.email}: Thanks`,
    ]);
    const listed = (await owner.query(`{ myServiceRecords { nodes { ${DEALER_FIELDS} } } }`)).myServiceRecords.nodes;
    expect(listed.find((r: any) => r.number === filed.number)).toEqual(closed);
    for (const text of [JSON.stringify(closed), JSON.stringify(listed)]) {
      expect(text).not.toContain(manager.user.email);
      expect(text).not.toContain(rep.user.email);
    }
    await owner.expectError('GRAPHQL_VALIDATION_FAILED', '{ myServiceRecords { nodes { assignee } } }');
    // Staff still see who is who.
    const staffTrail = (await manager.query(`query ($code: String) { serviceRecords(dealerCode: $code) { nodes { number assignee trail { by } } } }`, { code: a.code })).serviceRecords.nodes.find((r: any) => r.number === filed.number);
    expect(staffTrail.assignee).toBe(rep.user.email);
    expect(staffTrail.trail.map((t: any) => t.by)).toContain(manager.user.email);
    await owner.expectError('CONFLICT', CLOSE_MINE, { n: filed.number });
  });

  it('staff log consultations and surveys; open complaints past their due date show as overdue', async () => {
    const { logServiceRecord: consultation } = await rep.query(LOG, { code: b.code, kind: 'consultation', channel: 'phone', subject: 'Price list', content: 'Asked for the 2027 price list' });
    expect(consultation).toMatchObject({ status: 'closed', dueAt: null });
    const { logServiceRecord: survey } = await rep.query(LOG, { code: b.code, kind: 'survey', channel: 'visit', subject: 'Q4 satisfaction', content: 'Delivery and support', surveyType: 'satisfaction', score: 4 });
    expect(survey).toMatchObject({ kind: 'survey', score: 4 });
    await rep.expectError('BAD_INPUT', LOG, { code: b.code, kind: 'survey', channel: 'visit', subject: 'No type', content: 'Missing survey type' });
    await rep.expectError('BAD_INPUT', LOG, { code: b.code, kind: 'survey', channel: 'visit', subject: 'Bad score', content: 'Out of range', surveyType: 'nps', score: 9 });
    await rep.expectError('NOT_FOUND', LOG, { code: 'NO-SUCH', kind: 'consultation', channel: 'phone', subject: 'x y', content: 'x y' });

    const { logServiceRecord: late } = await rep.query(LOG, { code: b.code, kind: 'complaint', channel: 'email', subject: 'Invoice wrong', content: 'VAT rate on INV-9 is wrong' });
    await env.strapi.db.query('plugin::dealers.service-record').updateMany({ where: { number: late.number }, data: { dueAt: new Date(Date.now() - 3_600_000) } });
    const overdue = (await manager.query(LIST, { code: b.code, overdue: true })).serviceRecords;
    expect(overdue).toEqual({ total: 1, nodes: [{ number: late.number, overdue: true }] });
    expect((await manager.query(LIST, { code: b.code })).serviceRecords.total).toBe(3);
  });

  it('dealer B neither sees nor closes dealer A\'s records', async () => {
    const ownerA = await env.asDealer(a, 'owner');
    const ownerB = await env.asDealer(b, 'owner');
    const { fileComplaint: mine } = await ownerA.query(FILE, { subject: 'Late shipment', content: 'Order SO-77 is a week late' });
    const seenByB = (await ownerB.query(MINE, {})).myServiceRecords.nodes.map((r: any) => r.number);
    expect(seenByB).not.toContain(mine.number);
    expect(seenByB.length).toBe(3); // B's own consultation, survey and complaint
    await ownerB.expectError('NOT_FOUND', CLOSE_MINE, { n: mine.number });
    await (await env.asDealer(a, 'buyer')).expectError('FORBIDDEN', CLOSE_MINE, { n: mine.number });
    await ownerA.expectError('FORBIDDEN', LIST, {});
    await ownerA.expectError('BAD_INPUT', FILE, { subject: 'x', content: 'y' });
    expect((await ownerA.query(MINE, { kind: 'complaint' })).myServiceRecords.total).toBe(2);
  });
});
