import { describe, expect, it } from 'vitest';
import { applicationLifecycle } from '../src/services/applications.service';
import { creditChangeLifecycle } from '../src/services/credit-change.service';
import { COMPLAINT_STEPS, serviceRecordLifecycle } from '../src/services/service-records.service';

describe('dealers lifecycles: which moves are allowed', () => {
  it.each([
    // machine, from, to, allowed
    [applicationLifecycle, 'in_review', 'needs_info', true],
    [applicationLifecycle, 'in_review', 'approved', true],
    [applicationLifecycle, 'in_review', 'expired', false],
    [applicationLifecycle, 'needs_info', 'needs_info', true], // asking again replaces the link
    [applicationLifecycle, 'needs_info', 'in_review', true],
    [applicationLifecycle, 'needs_info', 'approved', false],
    [applicationLifecycle, 'approved', 'rejected', false],
    [applicationLifecycle, 'expired', 'in_review', false],
    [creditChangeLifecycle, 'in_review', 'approved', true],
    [creditChangeLifecycle, 'in_review', 'rejected', true],
    [creditChangeLifecycle, 'in_review', 'expired', false],
    [creditChangeLifecycle, 'approved', 'expired', true],
    [creditChangeLifecycle, 'approved', 'rejected', false],
    [creditChangeLifecycle, 'rejected', 'approved', false],
    [serviceRecordLifecycle, 'accepted', COMPLAINT_STEPS.assign, true],
    [serviceRecordLifecycle, 'accepted', COMPLAINT_STEPS.start, false],
    [serviceRecordLifecycle, 'assigned', COMPLAINT_STEPS.assign, true], // re-assigning until replied
    [serviceRecordLifecycle, 'in_progress', COMPLAINT_STEPS.reply, true],
    [serviceRecordLifecycle, 'replied', COMPLAINT_STEPS.assign, false],
    [serviceRecordLifecycle, 'replied', COMPLAINT_STEPS.close, true],
    [serviceRecordLifecycle, 'closed', COMPLAINT_STEPS.close, false],
  ] as const)('%#: %s → %s allowed: %s', (machine, from, to, allowed) => {
    expect((machine as any).canMove(from, to)).toBe(allowed);
  });

  it('reads a trail written before the state machine: a step naming a state moved there, a letter or a check stayed', () => {
    const trail = [
      { at: '2026-01-01T00:00:00.000Z', by: 'a@x', action: 'requested', note: 'More' },
      { at: '2026-01-01T00:01:00.000Z', by: 'process', action: 'scored' },
      { at: '2026-01-02T00:00:00.000Z', by: 'f@x', action: 'approved', note: 'ok' },
      { at: '2026-01-02T00:01:00.000Z', by: 'process', action: 'letter sent (approved)' },
      // Written by the state machine: its own from/to are kept.
      { at: '2026-02-01T00:00:00.000Z', by: 'process', from: 'approved', to: 'expired', action: 'temporary limit ended', note: null },
    ];
    expect(creditChangeLifecycle.historyOf({ reviewStatus: 'expired', trail }).map((s) => [s.action, s.from, s.to])).toEqual([
      ['requested', null, 'in_review'], // where requests start
      ['scored', 'in_review', 'in_review'],
      ['approved', 'in_review', 'approved'],
      ['letter sent (approved)', 'approved', 'approved'],
      ['temporary limit ended', 'approved', 'expired'],
    ]);
    // A consultation's one step ('logged') is in the state the row is in.
    expect(serviceRecordLifecycle.historyOf({ caseStatus: 'closed', trail: [{ at: '2026-01-01T00:00:00.000Z', by: 's@x', action: 'logged' }] })[0]).toMatchObject({ from: null, to: 'closed' });
  });
});
