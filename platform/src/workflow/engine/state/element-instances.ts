import type { Knex } from 'knex';
import type { EI } from '../types';
import { sqliteInsert, sqliteOf } from './sqlite';
import { deferDelete, deferUpsert, flushWrites } from './write-behind';

/** Element instances: rows exist only while an element waits (a job, a subscription, a child scope). */
const TABLE = 'wf_element_instances';
const COLUMNS = ['key', 'process_instance_key', 'flow_scope_key', 'element_id', 'element_type', 'state', 'variables', 'data', 'created_at'] as const;
type Row = Record<(typeof COLUMNS)[number], any>;

const UPDATE = `update ${TABLE} set ${COLUMNS.slice(1).map((c) => `${c} = ?`).join(', ')} where key = ?`;
const DELETE = `delete from ${TABLE} where key = ?`;

/**
 * The rows as this engine last wrote or read them, by key, so a job completion does not read its
 * element and scope chain again. Only the engine's single writer changes these rows; the writer
 * forgets them all when a batch rolls back. Bounded, oldest out first.
 */
export class ElementInstanceRows {
  private readonly rows = new Map<number, Row>();
  constructor(private readonly limit = 20_000) {}

  get(key: number): Row | undefined {
    return this.rows.get(key);
  }

  set(row: Row) {
    const key = Number(row.key);
    this.rows.delete(key);
    if (this.rows.size >= this.limit) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(key, row);
  }

  delete(key: number) {
    this.rows.delete(key);
  }

  clear() {
    this.rows.clear();
  }
}

export async function loadElementInstance(trx: Knex.Transaction, key: number, known: ElementInstanceRows): Promise<EI | null> {
  const cached = known.get(key);
  if (cached) return fromRow(cached);
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  const row = db ? db.prepare(`select * from ${TABLE} where key = ?`).get(key) : await trx(TABLE).where({ key }).first();
  if (!row) return null;
  known.set(row);
  return fromRow(row);
}

export async function loadElementInstances(trx: Knex.Transaction, keys: number[], known: ElementInstanceRows): Promise<EI[]> {
  const found: EI[] = [];
  const missing: number[] = [];
  for (const key of keys) {
    const cached = known.get(key);
    if (cached) found.push(fromRow(cached));
    else missing.push(key);
  }
  if (missing.length) {
    await flushWrites(trx, TABLE);
    for (const row of await trx(TABLE).whereIn('key', missing)) {
      known.set(row);
      found.push(fromRow(row));
    }
  }
  return found;
}

/** The stored children of a scope (a step overlays what it changed itself). */
export async function loadChildren(trx: Knex.Transaction, scopeKey: number): Promise<EI[]> {
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  const rows = db ? db.prepare(`select * from ${TABLE} where flow_scope_key = ?`).all(scopeKey) : await trx(TABLE).where({ flow_scope_key: scopeKey });
  return rows.map(fromRow);
}

/** Writes what a step changed: ended instances go, new ones are inserted, changed ones updated. */
export async function writeElementInstances(trx: Knex.Transaction, changed: Iterable<EI>, known: ElementInstanceRows): Promise<void> {
  const db = sqliteOf(trx);
  const inserts: Row[] = [];
  for (const ei of changed) {
    if (!ei.alive) {
      if (!ei.persisted) continue;
      known.delete(ei.key);
      if (db) db.prepare(DELETE).run(ei.key);
      else if (!deferDelete(trx, TABLE, ei.key)) await trx(TABLE).where({ key: ei.key }).delete();
      continue;
    }
    if (!ei.dirty) continue;
    const row = toRow(ei);
    known.set(row);
    if (deferUpsert(trx, TABLE, row)) continue;
    if (!ei.persisted) inserts.push(row);
    else if (db) db.prepare(UPDATE).run(...COLUMNS.slice(1).map((c) => row[c]), row.key);
    else await trx(TABLE).where({ key: ei.key }).update(row);
  }
  if (db) for (const row of inserts) sqliteInsert(db, TABLE, COLUMNS, row);
  else for (let i = 0; i < inserts.length; i += 50) await trx(TABLE).insert(inserts.slice(i, i + 50));
}

function toRow(ei: EI): Row {
  return {
    key: ei.key,
    process_instance_key: ei.processInstanceKey,
    flow_scope_key: ei.flowScopeKey,
    element_id: ei.elementId,
    element_type: ei.elementType,
    state: ei.state,
    variables: ei.variables ? JSON.stringify(ei.variables) : null,
    data: ei.data ? JSON.stringify(ei.data) : null,
    created_at: ei.createdAt,
  };
}

function fromRow(row: any): EI {
  return {
    key: Number(row.key),
    processInstanceKey: Number(row.process_instance_key),
    flowScopeKey: row.flow_scope_key === null ? null : Number(row.flow_scope_key),
    elementId: row.element_id,
    elementType: row.element_type,
    state: row.state,
    variables: row.variables ? JSON.parse(row.variables) : null,
    data: row.data ? JSON.parse(row.data) : null,
    createdAt: Number(row.created_at),
    persisted: true,
    alive: true,
    dirty: false,
  };
}
