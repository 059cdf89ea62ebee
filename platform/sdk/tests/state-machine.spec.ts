import { describe, expect, it } from 'vitest';
import { isChannelflowError } from '../src/errors';
import { defineStateMachine } from '../src/state-machine';

type Status = 'draft' | 'submitted' | 'approved' | 'rejected' | 'cancelled';
const orders = () =>
  defineStateMachine<Status>({
    name: 'Order',
    uid: 'plugin::demo.order',
    states: ['draft', 'submitted', 'approved', 'rejected', 'cancelled'],
    transitions: { draft: ['submitted', 'cancelled'], submitted: ['approved', 'rejected', 'cancelled'] },
    label: (row) => row.number,
  });

/** The CONFLICT a move gets, as { code, message, details }; null when it does not throw. */
function refusal(fn: () => unknown) {
  try {
    fn();
    return null;
  } catch (error) {
    if (!isChannelflowError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
}

describe('defineStateMachine: the table of moves', () => {
  const machine = orders();
  it.each([
    ['draft', 'submitted', true],
    ['draft', 'cancelled', true],
    ['submitted', 'approved', true],
    ['submitted', 'rejected', true],
    ['draft', 'approved', false],
    ['submitted', 'draft', false],
    ['approved', 'cancelled', false],
    ['rejected', 'submitted', false],
    ['draft', 'draft', false],
  ] as Array<[Status, Status, boolean]>)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(machine.canMove(from, to)).toBe(allowed);
    expect(refusal(() => machine.assertMove({ number: 'SO-1', status: from }, to)) === null).toBe(allowed);
  });

  it('a refused move is a CONFLICT naming the record and both states in words', () => {
    expect(refusal(() => machine.assertMove({ number: 'SO-7', status: 'approved' }, 'cancelled'))).toEqual({
      code: 'CONFLICT',
      message: 'Order SO-7 is approved; it cannot become cancelled',
      details: { status: 'approved', to: 'cancelled' },
    });
  });

  it.each([
    ['draft', false, ['submitted', 'cancelled']],
    ['submitted', false, ['approved', 'rejected', 'cancelled']],
    ['approved', true, []],
    ['rejected', true, []],
    ['cancelled', true, []],
  ] as Array<[Status, boolean, Status[]]>)('%s: final %s, next %j', (state, final, next) => {
    expect(machine.isFinal(state)).toBe(final);
    expect(machine.next(state)).toEqual(next);
  });

  it('refuses a table naming a state it does not list', () => {
    expect(() => defineStateMachine({ name: 'Return', uid: 'x', states: ['open', 'closed'], transitions: { open: ['closed', 'lost' as 'closed'] } })).toThrow(
      'defineStateMachine(Return): "open → lost" names an unknown state',
    );
    expect(() => defineStateMachine({ name: 'Return', uid: 'x', states: ['open', 'closed'], transitions: { gone: ['open'] } as any })).toThrow(
      'defineStateMachine(Return): "gone" is not one of its states',
    );
  });
});

describe('defineStateMachine: the trail', () => {
  const machine = orders();

  it('initial: the first state with one step from nothing', () => {
    const initial = machine.initial('draft', { by: 'ann@dealer.example' });
    expect(initial).toEqual({ status: 'draft', history: [{ at: expect.any(String), by: 'ann@dealer.example', from: null, to: 'draft', action: 'draft', note: null }] });
    expect(() => machine.initial('lost' as Status, { by: 'x' })).toThrow('Order: "lost" is not one of its states');
  });

  it('initial and steps honour statusField and historyField', () => {
    const applications = defineStateMachine({ name: 'Application', uid: 'x', states: ['in_review', 'approved'], transitions: { in_review: ['approved'] }, statusField: 'state', historyField: 'trail' });
    expect(Object.keys(applications.initial('in_review', { by: 'a', note: 'n' }))).toEqual(['state', 'trail']);
  });

  it('historyOf reads the one shape as written', () => {
    const history = [
      { at: '2026-01-01T00:00:00.000Z', by: 'ann', from: null, to: 'draft', action: 'draft', note: null },
      { at: '2026-01-02T00:00:00.000Z', by: 'ann', from: 'draft', to: 'submitted', action: 'submitted', note: 'please' },
    ];
    expect(machine.historyOf({ status: 'submitted', history })).toEqual(history);
  });

  it('historyOf reads older { at, by, to, note } steps: from is the step before', () => {
    const row = {
      status: 'approved',
      history: [
        { at: '2026-01-01', by: 'ann', to: 'submitted', note: 'first' },
        { at: '2026-01-02', by: 'bob', to: 'approved' },
      ],
    };
    expect(machine.historyOf(row)).toEqual([
      { at: '2026-01-01', by: 'ann', from: null, to: 'submitted', action: 'submitted', note: 'first' },
      { at: '2026-01-02', by: 'bob', from: 'submitted', to: 'approved', action: 'approved', note: null },
    ]);
  });

  it('historyOf reads older { at, by, action, note } steps: an action naming a state moves, other words record', () => {
    const row = {
      status: 'approved',
      history: [
        { at: '2026-01-01', by: 'ann', action: 'created by the portal' },
        { at: '2026-01-02', by: 'ann', action: 'submitted' },
        { at: '2026-01-03', by: 'process', action: 'checks passed', note: null },
        { at: '2026-01-04', by: 'bob', action: 'approved', note: 'fine' },
      ],
    };
    expect(machine.historyOf(row).map(({ from, to, action, note }) => ({ from, to, action, note }))).toEqual([
      // Nothing says the state the record began in: the machine's first state.
      { from: null, to: 'draft', action: 'created by the portal', note: null },
      { from: 'draft', to: 'submitted', action: 'submitted', note: null },
      { from: 'submitted', to: 'submitted', action: 'checks passed', note: null },
      { from: 'submitted', to: 'approved', action: 'approved', note: 'fine' },
    ]);
  });

  it("historyOf of an older one-step trail naming no state: the row's state", () => {
    expect(machine.historyOf({ status: 'submitted', history: [{ at: '2026-01-01', by: 'ann', action: 'created by the portal' }] })).toMatchObject([
      { from: null, to: 'submitted', action: 'created by the portal' },
    ]);
  });

  it('a move appends to the trail as stored: older steps keep their shape', async () => {
    const older = { at: '2026-01-01', by: 'ann', action: 'submitted' };
    const rows = [{ id: 9, number: 'SO-9', status: 'submitted', history: [older] }];
    const strapi = { db: { query: () => ({ updateMany: async ({ data }: any) => (Object.assign(rows[0]!, data), { count: 1 }) }) } } as any;
    await machine.bind(strapi).move(rows[0], 'approved', { by: 'bob' });
    expect(rows[0]!.history[0]).toEqual(older);
    expect(rows[0]!.history[1]).toMatchObject({ from: 'submitted', to: 'approved' });
  });

  it('historyOf of a row without a trail is empty', () => {
    expect(machine.historyOf({ status: 'draft' })).toEqual([]);
    expect(machine.historyOf({ status: 'draft', history: null })).toEqual([]);
  });
});

describe('defineStateMachine: bound writes (one guarded UPDATE)', () => {
  /** A query engine over one table in memory, answering updateMany as Strapi's does ({ count }). */
  function fakeStrapi(rows: any[]) {
    const updates: any[] = [];
    const matches = (row: any, where: Record<string, unknown>) => Object.entries(where).every(([k, v]) => row[k] === v);
    const strapi = {
      db: {
        query: () => ({
          async updateMany({ where, data }: any) {
            updates.push({ where, data });
            const hit = rows.filter((r) => matches(r, where));
            for (const r of hit) Object.assign(r, structuredClone(data));
            return { count: hit.length };
          },
          async findOne({ where }: any) {
            return rows.find((r) => matches(r, where)) ?? null;
          },
        }),
      },
    };
    return { strapi: strapi as any, updates };
  }

  it('move writes the state, the step and the extra data in one UPDATE guarded by the state it was read in', async () => {
    const stored = { id: 1, number: 'SO-1', ...orders().initial('draft', { by: 'ann' }) };
    const { strapi, updates } = fakeStrapi([stored]);
    const read = structuredClone(stored);
    const written = await orders().bind(strapi).move(read, 'submitted', { by: 'ann', note: 'go', data: { submittedAt: 'now' } });
    expect(updates).toHaveLength(1);
    expect(updates[0].where).toEqual({ id: 1, status: 'draft' });
    expect(updates[0].data).toMatchObject({ status: 'submitted', submittedAt: 'now' });
    expect(stored.status).toBe('submitted');
    expect(orders().historyOf(stored).map((h) => [h.from, h.to, h.note])).toEqual([
      [null, 'draft', null],
      ['draft', 'submitted', 'go'],
    ]);
    expect(written).toMatchObject({ id: 1, status: 'submitted', submittedAt: 'now' });
  });

  it('a stale row (someone moved it first) is a CONFLICT saying where it is now, and changes nothing', async () => {
    const stored = { id: 1, number: 'SO-1', status: 'submitted', history: [] };
    const { strapi } = fakeStrapi([stored]);
    const stale = { ...stored, status: 'draft' };
    await expect(orders().bind(strapi).move(stale, 'cancelled', { by: 'ann' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'Order SO-1 is submitted now, no longer draft; read it again',
    });
    expect(stored).toEqual({ id: 1, number: 'SO-1', status: 'submitted', history: [] });
  });

  it('a move the table refuses writes nothing; a vanished row is NOT_FOUND', async () => {
    const { strapi, updates } = fakeStrapi([]);
    await expect(orders().bind(strapi).move({ id: 1, number: 'SO-1', status: 'approved' }, 'draft', { by: 'x' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(updates).toEqual([]);
    await expect(orders().bind(strapi).move({ id: 1, number: 'SO-1', status: 'draft' }, 'submitted', { by: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('record appends a step without moving, guarded the same way', async () => {
    const stored = { id: 2, number: 'SO-2', status: 'approved', history: [] };
    const { strapi, updates } = fakeStrapi([stored]);
    await orders().bind(strapi).record(stored, { by: 'process', action: 'decision letter sent' });
    expect(updates[0].where).toEqual({ id: 2, status: 'approved' });
    expect(orders().historyOf(stored)).toEqual([{ at: expect.any(String), by: 'process', from: 'approved', to: 'approved', action: 'decision letter sent', note: null }]);
  });
});
