// npm run bench:engine-memory — waiting instances live on disk, not in memory (issue #3):
// 10,000 instances waiting on a message or a timer must not grow the platform's memory by more
// than ~100 MB, and each may store at most ~20 KB (no BPMN source per instance).
// The platform runs in a child process on a fresh database; instances are created through its
// Zeebe gateway with @camunda8/sdk. Memory is read from /proc/<pid>/status (RSS) and, after a
// full GC, from process.memoryUsage() in the child; storage from SQLite's dbstat or PostgreSQL's
// pg_total_relation_size over the engine's wf_* tables, before and after.
// BENCH_WAITING (10000), BENCH_WARMUP_INSTANCES (200), BENCH_IN_FLIGHT (128) and
// BENCH_DATABASES (sqlite; sqlite,postgres for both) tune a run. Exits 0 when over target too.
import fs from 'node:fs';
import { benchDatabases, cpuSeconds, machineLine, median, procMemory, requireFromPlatform, sleep, startPlatform, zeebeClient } from './lib/platform.mjs';

const WAITING = Number(process.env.BENCH_WAITING ?? 10_000);
const WARMUP = Number(process.env.BENCH_WARMUP_INSTANCES ?? 200);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 128);
const databases = benchDatabases('sqlite');
const MB = 1e6;
const KB = 1e3;
const TARGET_GROWTH = (100 * MB * WAITING) / 10_000; // ~100 MB for 10,000, scaled to BENCH_WAITING
const TARGET_PER_INSTANCE = 20 * KB;
const MESSAGE = 'bench-payment-received';

const definitions = (body, messages = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="BenchMemory" targetNamespace="http://channelflow.dev/bpmn">
${body}
${messages}
</bpmn:definitions>`;
const MESSAGE_PROCESS = definitions(
  `  <bpmn:process id="bench-wait-message" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="WaitForPayment" />
    <bpmn:intermediateCatchEvent id="WaitForPayment"><bpmn:messageEventDefinition id="WaitForPaymentDefinition" messageRef="PaymentReceived" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="WaitForPayment" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>`,
  `  <bpmn:message id="PaymentReceived" name="${MESSAGE}"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>`,
);
const TIMER_PROCESS = definitions(`  <bpmn:process id="bench-wait-timer" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="WaitThirtyDays" />
    <bpmn:intermediateCatchEvent id="WaitThirtyDays"><bpmn:timerEventDefinition id="WaitThirtyDaysDefinition"><bpmn:timeDuration>P30D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="WaitThirtyDays" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>`);

/** An order-like variables document of about 1 KB of JSON. */
const order = (id, i) => ({
  orderId: id,
  businessKey: id,
  dealer: { code: `D-${String(i % 500).padStart(4, '0')}`, name: 'Autohaus Beispiel GmbH & Co. KG', city: 'Stuttgart', country: 'DE' },
  customer: { name: 'Jane Example', email: `customer.${i}@example.com`, phone: '+49 711 555 0100' },
  currency: 'EUR',
  lines: [
    { sku: 'TYR-205-55-R16-W', description: 'Winter tyre set 205/55 R16 91H', quantity: 1, unitPrice: 519.6 },
    { sku: 'RIM-16-ALU-5X112', description: 'Alloy rim 16" 5x112 ET45, silver', quantity: 4, unitPrice: 129.9 },
    { sku: 'SVC-MOUNT-BAL', description: 'Mounting and balancing, four wheels', quantity: 1, unitPrice: 59 },
    { sku: 'SVC-STORAGE-SEAS', description: 'Seasonal storage of summer tyres', quantity: 1, unitPrice: 45 },
  ],
  shipping: { method: 'dealer-pickup', street: 'Musterstraße 12', postcode: '70173', city: 'Stuttgart', window: '2026-12-01T08:00/12:00' },
  total: 1143.2,
  createdAt: '2026-11-23T10:15:00.000Z',
  notes: 'Customer asked for a call the day before pick-up. Keep the old rims for disposal.',
});

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtMB = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const fmtKB = (bytes) => `${(bytes / KB).toFixed(2)} KB`;
/** +1.2 MB / −0.3 MB */
const signed = (bytes, format) => `${bytes < 0 ? '−' : '+'}${format(Math.abs(bytes))}`;
const verdict = (value, target) => (value <= target ? 'PASS' : 'OVER');

/** Runs `fn(i)` for i < count with at most `concurrency` in flight; counts failures. */
async function pool(count, concurrency, fn) {
  let next = 0;
  let failures = 0;
  let firstError;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      try {
        await fn(i);
      } catch (error) {
        failures++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  if (failures) console.log(`  ${failures} of ${count} calls failed; first: ${firstError?.message ?? firstError}`);
  return failures;
}

/** Read-only access to the child's database from this process. */
async function openStore(database) {
  if (database.client === 'sqlite') {
    const Database = requireFromPlatform('better-sqlite3');
    const db = new Database(database.name, { readonly: true, fileMustExist: true });
    return { client: 'sqlite', query: async (sql, params = []) => db.prepare(sql).all(...params), close: async () => db.close() };
  }
  const { Client } = requireFromPlatform('pg');
  const url = new URL(process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${database.name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  const numbered = (sql) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return { client: 'postgres', query: async (sql, params = []) => (await client.query(numbered(sql), params)).rows, close: () => client.end() };
}

const engineTables = async (store) =>
  store.client === 'sqlite'
    ? (await store.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'wf\\_%' ESCAPE '\\' ORDER BY name")).map((r) => r.name)
    : (await store.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'wf\\_%' ORDER BY table_name")).map((r) => r.name);
const columns = async (store, table) =>
  store.client === 'sqlite'
    ? (await store.query('SELECT name, type FROM pragma_table_info(?)', [table])).map((r) => ({ name: r.name, text: /char|text|clob/i.test(r.type) }))
    : (await store.query('SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?', [table])).map((r) => ({
        name: r.name,
        text: /char|text/i.test(r.type),
      }));
const q = (name) => `"${name}"`;

/** Allocated bytes (tables + indexes + TOAST) and row count of every wf_* table. */
async function storage(store) {
  const tables = await engineTables(store);
  const sizes = new Map(tables.map((t) => [t, { bytes: 0, rows: 0 }]));
  if (store.client === 'sqlite') {
    // dbstat with aggregate = TRUE: one row per b-tree (table or index), pgsize = bytes of its pages.
    const rows = await store.query("SELECT m.tbl_name AS t, SUM(s.pgsize) AS bytes FROM dbstat AS s JOIN sqlite_master AS m ON m.name = s.name WHERE s.aggregate = 1 AND m.tbl_name LIKE 'wf\\_%' ESCAPE '\\' GROUP BY m.tbl_name");
    for (const r of rows) if (sizes.has(r.t)) sizes.get(r.t).bytes = Number(r.bytes);
  } else {
    const rows = await store.query("SELECT c.relname AS t, pg_total_relation_size(c.oid) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE 'wf\\_%'");
    for (const r of rows) if (sizes.has(r.t)) sizes.get(r.t).bytes = Number(r.bytes);
  }
  for (const t of tables) sizes.get(t).rows = Number((await store.query(`SELECT COUNT(*) AS n FROM ${q(t)}`))[0].n);
  return sizes;
}
const totalBytes = (sizes) => [...sizes.values()].reduce((sum, s) => sum + s.bytes, 0);

/** The largest row of each runtime table, its largest column, and rows holding BPMN XML. */
async function largestRows(store) {
  const found = [];
  let bpmnCopies = 0;
  for (const table of await engineTables(store)) {
    if (['wf_process_definitions', 'wf_deployments', 'wf_sequence', 'wf_counters'].includes(table)) continue;
    const cols = await columns(store, table);
    const len = (c) => (store.client === 'sqlite' ? `COALESCE(LENGTH(CAST(${q(c)} AS BLOB)), 0)` : `COALESCE(OCTET_LENGTH(${q(c)}::text), 0)`);
    const rowSize = store.client === 'sqlite' ? cols.map((c) => len(c.name)).join(' + ') : `pg_column_size(t.*)`;
    const texts = cols.filter((c) => c.text);
    const [row] = await store.query(`SELECT MAX(${rowSize}) AS row_bytes, ${texts.map((c, i) => `MAX(${len(c.name)}) AS c${i}`).join(', ')} FROM ${q(table)} AS t`);
    if (row.row_bytes === null) continue;
    const widest = texts.map((c, i) => ({ name: c.name, bytes: Number(row[`c${i}`] ?? 0) })).sort((a, b) => b.bytes - a.bytes)[0];
    found.push({ table, rowBytes: Number(row.row_bytes), widest });
    const like = texts.map((c) => `${q(c.name)} LIKE '%bpmn:definitions%' OR ${q(c.name)} LIKE '%xmlns:%'`).join(' OR ');
    if (like) bpmnCopies += Number((await store.query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${like}`))[0].n);
  }
  return { rows: found.sort((a, b) => b.rowBytes - a.rowBytes), bpmnCopies };
}

/** Waits until the platform has used (almost) no CPU for a second, at most `maxMs`. */
async function settle(pid, maxMs = 30_000) {
  const until = Date.now() + maxMs;
  let before = cpuSeconds(pid);
  while (Date.now() < until) {
    await sleep(1000);
    const now = cpuSeconds(pid);
    if (now - before <= 0.03) return;
    before = now;
  }
}

/** Median of `count` samples a second apart: RSS as it is, then RSS and heap right after a full GC. */
async function sampleMemory(platform, count = 3) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i) await sleep(1000);
    const rss = procMemory(platform.pid).rss;
    const usage = await platform.probeMemory();
    const gcd = procMemory(platform.pid);
    samples.push({ rss, rssAfterGc: gcd.rss, rssAnon: gcd.rssAnon, rssFile: gcd.rssFile + gcd.rssShmem, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external + usage.arrayBuffers });
  }
  const pick = (k) => median(samples.map((s) => s[k]));
  return { ...Object.fromEntries(Object.keys(samples[0]).map((k) => [k, pick(k)])), peak: procMemory(platform.pid).peak };
}

async function run(db) {
  const platform = await startPlatform(db, { memoryProbe: true });
  const zeebe = zeebeClient(platform);
  const store = await openStore(platform.database);
  const tag = db.padEnd(8);
  const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const messageOrders = [];
  let created = 0;
  const createWaiting = async (count, offset) =>
    pool(count, IN_FLIGHT, async (j) => {
      const i = offset + j;
      const id = `ORD-${runId}-${i}`;
      const onMessage = i % 2 === 0;
      await zeebe.createProcessInstance({ bpmnProcessId: onMessage ? 'bench-wait-message' : 'bench-wait-timer', variables: order(id, i) });
      if (onMessage) messageOrders.push(id);
      created++;
    });
  const correlate = async (ids) => pool(ids.length, IN_FLIGHT, (j) => zeebe.publishMessage({ name: MESSAGE, correlationKey: ids[j], variables: { paid: true, paymentRef: `PAY-${ids[j]}` }, timeToLive: 0 }));
  try {
    await zeebe.deployResource({ name: 'bench-wait-message.bpmn', process: Buffer.from(MESSAGE_PROCESS) });
    await zeebe.deployResource({ name: 'bench-wait-timer.bpmn', process: Buffer.from(TIMER_PROCESS) });

    // Warm-up: every code path once (create, wait, correlate), then let the engine settle.
    await createWaiting(WARMUP, 0);
    await correlate(messageOrders.splice(0));
    await settle(platform.pid);
    const before = { memory: await sampleMemory(platform), storage: await storage(store) };

    // 10,000 waiting instances, half on a message, half on a timer; memory sampled half-way too,
    // to tell state that grows with every instance from caches and allocator high-water marks.
    const firstHalf = Math.floor(WAITING / 2);
    let began = performance.now();
    let createFailures = await createWaiting(firstHalf, WARMUP);
    let createSeconds = (performance.now() - began) / 1000;
    await settle(platform.pid);
    const halfway = await sampleMemory(platform);
    began = performance.now();
    createFailures += await createWaiting(WAITING - firstHalf, WARMUP + firstHalf);
    createSeconds += (performance.now() - began) / 1000;
    await settle(platform.pid);
    const after = { memory: await sampleMemory(platform), storage: await storage(store) };
    const rowsAfter = await largestRows(store);
    const waiting = WAITING - createFailures;
    const subscriptions = after.storage.get('wf_message_subscriptions')?.rows ?? NaN;
    const timers = after.storage.get('wf_timers')?.rows ?? NaN;

    const growth = {
      rss: after.memory.rss - before.memory.rss,
      rssAfterGc: after.memory.rssAfterGc - before.memory.rssAfterGc,
      heapUsed: after.memory.heapUsed - before.memory.heapUsed,
      heapTotal: after.memory.heapTotal - before.memory.heapTotal,
      rssAnon: after.memory.rssAnon - before.memory.rssAnon,
      rssFile: after.memory.rssFile - before.memory.rssFile,
      external: after.memory.external - before.memory.external,
    };
    const stored = totalBytes(after.storage) - totalBytes(before.storage);
    const perTable = [...after.storage]
      .map(([t, s]) => ({ t, bytes: s.bytes - (before.storage.get(t)?.bytes ?? 0), rows: s.rows - (before.storage.get(t)?.rows ?? 0) }))
      .filter((x) => x.bytes || x.rows)
      .sort((a, b) => b.bytes - a.bytes);

    console.log(`${tag} created ${fmtInt(waiting)} waiting instances in ${createSeconds.toFixed(1)} s (${fmtInt(waiting / createSeconds)}/s); waiting now: ${fmtInt(subscriptions)} message subscriptions, ${fmtInt(timers)} timers`);
    console.log(
      `${tag} memory (platform process, median of 3): RSS ${fmtMB(before.memory.rss)} → ${fmtMB(after.memory.rss)} = ${signed(growth.rss, fmtMB)} (${signed(growth.rss / waiting, fmtKB)}/instance); ` +
        `after a full GC RSS ${signed(growth.rssAfterGc, fmtMB)} (anonymous ${signed(growth.rssAnon, fmtMB)}, file-backed ${signed(growth.rssFile, fmtMB)}), ` +
        `JS heap used ${signed(growth.heapUsed, fmtMB)} (${fmtInt(growth.heapUsed / waiting)} B/instance) of a heap ${signed(growth.heapTotal, fmtMB)} larger, external ${signed(growth.external, fmtMB)}; peak RSS since boot ${fmtMB(after.memory.peak)}`,
    );
    console.log(
      `${tag} memory by half: first ${fmtInt(firstHalf)} instances RSS ${signed(halfway.rss - before.memory.rss, fmtMB)} (JS heap ${signed(halfway.heapUsed - before.memory.heapUsed, fmtMB)}), ` +
        `next ${fmtInt(WAITING - firstHalf)} RSS ${signed(after.memory.rss - halfway.rss, fmtMB)} (JS heap ${signed(after.memory.heapUsed - halfway.heapUsed, fmtMB)})`,
    );
    console.log(`${tag} storage (wf_* tables and indexes): ${signed(stored, fmtMB)} = ${fmtKB(stored / waiting)}/instance`);
    for (const x of perTable) console.log(`${tag}   ${x.t.padEnd(26)} ${signed(x.bytes, fmtMB).padStart(10)}  ${fmtKB(x.bytes / waiting).padStart(9)}/instance  ${x.rows >= 0 ? '+' : ''}${fmtInt(x.rows)} rows`);
    const [top] = rowsAfter.rows;
    console.log(
      `${tag} largest rows: ${rowsAfter.rows
        .slice(0, 4)
        .map((r) => `${r.table} ${fmtInt(r.rowBytes)} B${r.widest?.bytes ? ` (${r.widest.name} ${fmtInt(r.widest.bytes)} B)` : ''}`)
        .join(', ')}; variables document sent: ${fmtInt(JSON.stringify(order(`ORD-${runId}-${WARMUP}`, WARMUP)).length)} B; ` +
        `BPMN source: ${fmtInt(MESSAGE_PROCESS.length)} B, rows holding BPMN XML outside wf_process_definitions: ${rowsAfter.bpmnCopies}`,
    );
    if (store.client === 'sqlite') {
      const file = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
      console.log(`${tag} database file now ${fmtMB(file(platform.database.name))} + WAL ${fmtMB(file(`${platform.database.name}-wal`))}`);
    }

    // Correlate every message-waiting instance: the state on disk must be complete and right.
    const ids = messageOrders.splice(0);
    const correlateBegan = performance.now();
    const publishFailures = await correlate(ids);
    const correlateSeconds = (performance.now() - correlateBegan) / 1000;
    const completedRows = await store.query(`SELECT variables FROM wf_process_instances WHERE bpmn_process_id = 'bench-wait-message' AND state = 'COMPLETED'`);
    const wanted = new Set(ids);
    let right = 0;
    for (const row of completedRows) {
      const vars = JSON.parse(row.variables ?? '{}');
      if (wanted.delete(vars.orderId) && vars.paid === true && vars.paymentRef === `PAY-${vars.orderId}` && vars.lines?.length === 4) right++;
    }
    const left = Number((await store.query(`SELECT COUNT(*) AS n FROM wf_message_subscriptions`))[0].n);
    const active = Number((await store.query(`SELECT COUNT(*) AS n FROM wf_process_instances WHERE bpmn_process_id = 'bench-wait-message' AND state = 'ACTIVE'`))[0].n);
    const correct = right === ids.length && left === 0 && active === 0 && !publishFailures;
    console.log(
      `${tag} correlated ${fmtInt(ids.length)} messages in ${correlateSeconds.toFixed(1)} s (${fmtInt(ids.length / correlateSeconds)}/s): ${fmtInt(right)} of ${fmtInt(ids.length)} completed with their own variables and the message's, ` +
        `${left} subscriptions and ${active} message instances left${publishFailures ? `, ${publishFailures} publishes failed` : ''} — ${correct ? 'OK' : 'WRONG'}`,
    );
    await settle(platform.pid);
    const end = await sampleMemory(platform);
    console.log(`${tag} memory after correlating: RSS ${fmtMB(end.rss)} (${signed(end.rss - before.memory.rss, fmtMB)} over the warm-up baseline), JS heap used after a full GC ${fmtMB(end.heapUsed)}`);
    return { db, waiting, growth, stored, correct, createSeconds, correlateSeconds, bpmnCopies: rowsAfter.bpmnCopies, top };
  } finally {
    await zeebe.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await platform.stop();
  }
}

console.log(`bench:engine-memory — ${machineLine()}`);
console.log(
  `${fmtInt(WAITING)} waiting instances (half on a message catch event, half on a P30D timer catch event), ~${fmtInt(JSON.stringify(order('ORD-x-0', 0)).length)} B of order variables each, ` +
    `measured after ${WARMUP} warm-up instances; ${IN_FLIGHT} requests in flight`,
);
const results = [];
for (const db of databases) {
  try {
    results.push(await run(db));
  } catch (error) {
    console.log(`${db.padEnd(8)} failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  }
}
if (results.length) {
  console.log('');
  console.log(`summary — target: ≤ ${+(TARGET_GROWTH / MB).toFixed(1)} MB memory growth for ${fmtInt(WAITING)} waiting instances, ≤ ${TARGET_PER_INSTANCE / KB} KB stored per instance`);
  for (const r of results) {
    console.log(
      `${r.db.padEnd(8)} memory ${signed(r.growth.rss, fmtMB)} RSS ${verdict(r.growth.rss, TARGET_GROWTH)} (${signed(r.growth.rss / r.waiting, fmtKB)}/instance; JS heap ${signed(r.growth.heapUsed, fmtMB)})` +
        ` | storage ${fmtKB(r.stored / r.waiting)}/instance ${verdict(r.stored / r.waiting, TARGET_PER_INSTANCE)}` +
        ` | BPMN per instance: ${r.bpmnCopies ? `${r.bpmnCopies} rows OVER` : 'none PASS'}` +
        ` | correlation ${r.correct ? 'OK' : 'WRONG'}`,
    );
  }
}
process.exit();
