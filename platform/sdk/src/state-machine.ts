import type { Core } from '@strapi/strapi';
import { ChannelflowError } from './errors';

/**
 * One step of a record's trail: the one history shape every state machine writes. `from` is
 * null for the first step; a step that records something without moving (a letter sent) has
 * `from === to`. `action` says what happened in words when that is not just the new state.
 */
export interface Transition<S extends string = string> {
  at: string;
  by: string;
  from: S | null;
  to: S;
  action: string;
  note: string | null;
}

export interface StateMachineOptions<S extends string> {
  /** What one record is called in messages: "Order", "Return", "Credit-limit request". */
  name: string;
  /** Content-type UID of the records. */
  uid: string;
  /** Every state, in the order a person reads them; the first is where records start. */
  states: readonly S[];
  /** The allowed moves: state → the states it may go to. A state with none is final. */
  // NoInfer: the states come from `states` alone, so a transition naming another is a type error.
  transitions: { readonly [K in NoInfer<S>]?: readonly NoInfer<S>[] };
  /** Attribute holding the state (`status` unless told). */
  statusField?: string;
  /** JSON attribute holding the trail (`history` unless told). */
  historyField?: string;
  /** How a record names itself in a refusal (its number); the id unless told. */
  label?: (row: any) => string;
}

export interface MoveOptions {
  by: string;
  note?: string | null;
  /** Words for the trail when the new state alone does not say it ("information requested"). */
  action?: string;
  /** Other attributes written in the same guarded UPDATE. */
  data?: Record<string, unknown>;
}

/** A state machine bound to one Strapi instance: its writes, in the caller's transaction if there is one. */
export interface BoundStateMachine<S extends string> {
  /**
   * Moves `row` (as read) to `to`: one `UPDATE … WHERE id = ? AND status = <row's state>` that also appends the
   * trail step. A move the table does not allow is a CONFLICT naming both states; so is a row someone else moved
   * first (the guard matched nothing). Returns the row as written.
   */
  move(row: any, to: S, options: MoveOptions): Promise<any>;
  /** Appends a step that does not change the state (a letter sent), guarded on the state it was read in. */
  record(row: any, options: MoveOptions & { action: string }): Promise<any>;
}

export interface StateMachine<S extends string> {
  readonly options: StateMachineOptions<S>;
  readonly states: readonly S[];
  /** Whether the table allows `from → to`. */
  canMove(from: S, to: S): boolean;
  /** The states `from` may go to (none: final). */
  next(from: S): readonly S[];
  isFinal(state: S): boolean;
  /** Throws the CONFLICT a disallowed move gets. */
  assertMove(row: any, to: S): void;
  /** The trail of a row, older steps (written before this shape) read into it. */
  historyOf(row: any): Transition<S>[];
  /** One trail step. */
  step(from: S | null, to: S, options: Omit<MoveOptions, 'data'>): Transition<S>;
  /** The state and trail a new record is created with. */
  initial(to: S, options: Omit<MoveOptions, 'data'>): Record<string, unknown>;
  bind(strapi: Core.Strapi): BoundStateMachine<S>;
}

/**
 * The lifecycle of a record (an order, a return, an application): which moves are allowed, and
 * one guarded write per move that keeps the state and its trail together, so two concurrent
 * decisions cannot both win and every record reads its history the same way.
 */
export function defineStateMachine<S extends string>(options: StateMachineOptions<S>): StateMachine<S> {
  const statusField = options.statusField ?? 'status';
  const historyField = options.historyField ?? 'history';
  const states = new Set<string>(options.states);
  for (const [from, targets] of Object.entries(options.transitions) as Array<[string, readonly string[]]>) {
    if (!states.has(from)) throw new Error(`defineStateMachine(${options.name}): "${from}" is not one of its states`);
    for (const to of targets) if (!states.has(to)) throw new Error(`defineStateMachine(${options.name}): "${from} → ${to}" names an unknown state`);
  }
  const label = (row: any) => (options.label ? options.label(row) : String(row?.id));
  const next = (from: S): readonly S[] => options.transitions[from] ?? [];

  const machine: StateMachine<S> = {
    options,
    states: options.states,
    canMove: (from, to) => next(from).includes(to),
    next,
    isFinal: (state) => next(state).length === 0,
    assertMove(row, to) {
      const from = row[statusField] as S;
      if (!machine.canMove(from, to)) {
        throw new ChannelflowError('CONFLICT', `${options.name} ${label(row)} is ${humanize(from)}; it cannot become ${humanize(to)}`, { status: from, to });
      }
    },
    historyOf(row) {
      const raw: any[] = Array.isArray(row?.[historyField]) ? row[historyField] : [];
      // Older steps have no from/to: an action that names a state moved there; any other (a letter, a check) stayed,
      // and a first step that names none is where records start (or, the trail's only step, the row's state).
      let previous: S | null = null;
      return raw.map((h) => {
        const start = raw.length === 1 ? (row[statusField] as S) : options.states[0]!;
        const to = (h.to ?? (states.has(h.action) ? h.action : (previous ?? start))) as S;
        const from = (h.from !== undefined ? h.from : previous) as S | null;
        previous = to;
        return { at: String(h.at), by: String(h.by ?? ''), from, to, action: String(h.action ?? to), note: h.note ?? null };
      });
    },
    step: (from, to, step) => ({ at: new Date().toISOString(), by: step.by, from, to, action: step.action ?? to, note: step.note ?? null }),
    initial: (to, step) => {
      if (!states.has(to)) throw new Error(`${options.name}: "${to}" is not one of its states`);
      return { [statusField]: to, [historyField]: [machine.step(null, to, step)] };
    },
    bind(strapi) {
      const query = () => strapi.db.query(options.uid as any);
      async function write(row: any, to: S, step: MoveOptions) {
        const from = row[statusField] as S;
        // Appended to the trail as stored: older steps keep their own shape (historyOf reads them), nothing is rewritten.
        const stored: unknown[] = Array.isArray(row[historyField]) ? row[historyField] : [];
        const history = [...stored, machine.step(from, to, step)];
        const data = { ...(step.data ?? {}), [statusField]: to, [historyField]: history };
        const { count } = await query().updateMany({ where: { id: row.id, [statusField]: from }, data });
        if (!count) {
          const now = await query().findOne({ where: { id: row.id }, select: ['id', statusField] });
          if (!now) throw new ChannelflowError('NOT_FOUND', `${options.name} ${label(row)} does not exist`);
          throw new ChannelflowError('CONFLICT', `${options.name} ${label(row)} is ${humanize(now[statusField])} now, no longer ${humanize(from)}; read it again`, {
            status: now[statusField],
          });
        }
        return { ...row, ...data };
      }
      return {
        async move(row, to, step) {
          machine.assertMove(row, to);
          return write(row, to, step);
        },
        record: (row, step) => write(row, row[statusField], step),
      };
    },
  };
  return machine;
}

function humanize(state: unknown): string {
  return String(state).replace(/_/g, ' ');
}
