// npm run bench:orders — dealer order throughput (issue #5): BENCH_CLIENTS dealer clients (20) each
// place orders over GraphQL in a loop (placeOrder: prices, stock reservation and credit reservation
// in one transaction), one order in flight per client, for BENCH_SECONDS (30) after
// BENCH_WARMUP_SECONDS (3). Then the platform checks that stock and credit still add up, and the
// bench that every acknowledged order is in the database; any inconsistency exits non-zero.
// End to end, it reports how many orders per second were placed *and* allocated (the fulfilment
// process's first job) during the burst, and how long the backlog of orders still to allocate
// takes to drain once the clients stop (BENCH_DRAIN_TIMEOUT_SECONDS, 300).
// The platform runs in a child process (bench/lib/orders-setup.mjs sets up its data there);
// clients run here. BENCH_TIGHT=1 makes stock and credit scarce (OUT_OF_STOCK, finance approval),
// BENCH_DATABASES=sqlite,postgres (both by default), BENCH_PROFILE=<dir> (a CPU profile of the platform).
import { randomBytes } from 'node:crypto';
import { benchDatabases, cpuSeconds, machineCpuSeconds, machineLine, percentile, sleep, startPlatform } from './lib/platform.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const PRODUCTS = 10;
const TIGHT = process.env.BENCH_TIGHT === '1';
/** How long the bench waits, after the burst, for every placed order to be allocated. */
const DRAIN_TIMEOUT = Number(process.env.BENCH_DRAIN_TIMEOUT_SECONDS ?? 300);
const databases = benchDatabases('sqlite,postgres');

const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { number status total { amountMinor } } } }`;

const randomInt = (min, max) => min + Math.floor(Math.random() * (max - min + 1));

/** 1–3 different SKUs of 1–5 units each. */
function randomLines(skus) {
  const pool = [...skus];
  return Array.from({ length: randomInt(1, 3) }, () => ({ sku: pool.splice(randomInt(0, pool.length - 1), 1)[0], quantity: randomInt(1, 5) }));
}

async function run(db) {
  const platform = await startPlatform(db, {
    nodeArgs: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : [],
    setup: 'bench/lib/orders-setup.mjs',
    setupOptions: { clients: CLIENTS, products: PRODUCTS, tight: TIGHT },
  });
  try {
    const url = `${platform.baseUrl}/graphql`;
    let measuring = false;
    let stopping = false;
    let acknowledged = 0; // orders the platform said it placed, over the whole run (warm-up and tail too)
    let replayed = 0;
    const latencies = [];
    const refusalLatencies = [];
    const statuses = {};
    const refusals = {}; // extensions.code -> count (measured window)
    const firstMessage = {}; // extensions.code -> one message, to show what went wrong

    const client = async (i, jwt) => {
      for (let n = 1; !stopping; n++) {
        const body = JSON.stringify({ query: PLACE, variables: { input: { idempotencyKey: `bench-${i}-${n}-${randomBytes(4).toString('hex')}`, lines: randomLines(platform.skus) } } });
        const sentAt = performance.now();
        let code = null;
        let placed = null;
        try {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` }, body });
          const json = await response.json().catch(() => null);
          placed = json?.data?.placeOrder ?? null;
          if (!placed) {
            const error = json?.errors?.[0];
            code = error?.extensions?.code ?? `HTTP_${response.status}`;
            firstMessage[code] ??= error?.message ?? '';
          }
        } catch (error) {
          code = 'NETWORK';
          firstMessage[code] ??= error.message;
          await sleep(100);
        }
        const took = performance.now() - sentAt;
        if (placed) {
          if (placed.replayed) replayed++;
          else acknowledged++;
        }
        if (!measuring) continue;
        if (placed) {
          latencies.push(took);
          statuses[placed.order.status] = (statuses[placed.order.status] ?? 0) + 1;
        } else {
          refusalLatencies.push(took);
          refusals[code] = (refusals[code] ?? 0) + 1;
        }
      }
    };

    const clients = platform.jwts.map((jwt, i) => client(i + 1, jwt));
    await sleep(WARMUP * 1000);
    measuring = true;
    const began = performance.now();
    const platformCpu = cpuSeconds(platform.pid);
    const machineCpu = machineCpuSeconds();
    const driverCpu = process.cpuUsage();
    const progressBefore = await platform.command('PROGRESS');
    await sleep(SECONDS * 1000);
    measuring = false;
    const progressAfter = await platform.command('PROGRESS');
    const elapsed = (performance.now() - began) / 1000;
    const platformLoad = (cpuSeconds(platform.pid) - platformCpu) / elapsed;
    const machineLoad = (machineCpuSeconds() - machineCpu) / elapsed;
    const used = process.cpuUsage(driverCpu);
    const driverLoad = (used.user + used.system) / 1e6 / elapsed;
    stopping = true;
    await Promise.all(clients);

    // End to end: allocation (the fulfilment process's first job) keeps pace with placement, or
    // a backlog builds up; after the burst, how long until every placed order is allocated.
    const allocatedPerSecond = (progressAfter.allocated - progressBefore.allocated) / ((progressAfter.at - progressBefore.at) / 1000);
    const burstEnded = performance.now();
    let progress = await platform.command('PROGRESS');
    const backlogAtEnd = progress.placed - progress.allocated;
    while (progress.allocated < progress.placed && performance.now() - burstEnded < DRAIN_TIMEOUT * 1000) {
      await sleep(250);
      progress = await platform.command('PROGRESS');
    }
    const drain = { seconds: (performance.now() - burstEnded) / 1000, backlog: backlogAtEnd, done: progress.allocated >= progress.placed, left: progress.placed - progress.allocated };

    const check = await platform.command('CHECK');
    if (check.orders !== acknowledged) {
      check.problems.push(`${acknowledged} orders acknowledged to clients, ${check.orders} in the database`);
      check.inconsistencies++;
    }
    latencies.sort((a, b) => a - b);
    refusalLatencies.sort((a, b) => a - b);
    return {
      db,
      ordersPerSecond: latencies.length / elapsed,
      allocatedPerSecond,
      drain,
      placed: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      refusalP50: percentile(refusalLatencies, 50),
      statuses,
      refusals,
      firstMessage,
      replayed,
      acknowledged,
      check,
      platformLoad,
      driverLoad,
      othersLoad: machineLoad - platformLoad - driverLoad,
    };
  } finally {
    await platform.stop();
  }
}

const pct = (load) => `${(load * 100).toFixed(0)}%`;
console.log(`bench:orders — ${machineLine()}`);
console.log(
  `${CLIENTS} dealer clients, one placeOrder in flight each (1–3 lines of 1–5 units over ${PRODUCTS} SKUs, 2 warehouses); ${SECONDS} s measured after ${WARMUP} s warm-up; ${TIGHT ? 'scarce stock and credit (BENCH_TIGHT=1)' : 'ample stock and credit'}`,
);
for (const db of databases) {
  try {
    const r = await run(db);
    const refusals = Object.entries(r.refusals).map(([code, count]) => `${code} ${count}`).join(', ');
    console.log(
      `${db.padEnd(8)} ${r.ordersPerSecond.toFixed(1)} orders/s (${r.placed} in ${SECONDS} s: ${Object.entries(r.statuses).map(([s, c]) => `${c} ${s}`).join(', ') || 'none'}), latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; ` +
        `refused: ${refusals || 'none'}${refusals ? ` (p50 ${r.refusalP50.toFixed(1)} ms)` : ''}; CPU: platform ${pct(r.platformLoad)}, clients ${pct(r.driverLoad)}, rest of the machine ${pct(r.othersLoad)} of a core`,
    );
    if (r.replayed) console.log(`         ${r.replayed} answers were replays, though every key was fresh`);
    const d = r.drain;
    console.log(
      `         end to end: ${Math.min(r.ordersPerSecond, r.allocatedPerSecond).toFixed(1)} orders/s placed and allocated (allocation ${r.allocatedPerSecond.toFixed(1)}/s during the burst); ` +
        `backlog of ${d.backlog} orders to allocate when the burst ended, ${d.done ? `drained in ${d.seconds.toFixed(1)} s` : `${d.left} still not allocated after ${DRAIN_TIMEOUT} s`}`,
    );
    for (const [code, message] of Object.entries(r.firstMessage)) if (!['OUT_OF_STOCK'].includes(code)) console.log(`         ${code}: ${message.slice(0, 300)}`);
    const c = r.check;
    console.log(
      `         consistency: ${c.inconsistencies === 0 ? 'OK, 0 inconsistencies' : `${c.inconsistencies} INCONSISTENCIES`} over ${c.orders} orders (${Object.entries(c.byStatus).map(([s, n]) => `${n} ${s}`).join(', ')}; ${r.acknowledged} acknowledged; fulfilment started for ${c.fulfilmentStarted}), ` +
        `${c.levels} stock levels, ${c.movements} movements, ${c.creditAccounts} credit accounts; ${c.reservedUnits} units and ${c.reservedCents} cents reserved`,
    );
    for (const problem of c.problems) console.log(`           - ${problem}`);
    if (c.inconsistencies) process.exitCode = 1;
  } catch (error) {
    console.log(`${db.padEnd(8)} failed: ${error.message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
process.exit();
