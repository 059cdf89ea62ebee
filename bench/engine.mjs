// npm run bench:engine — throughput and job latency of the embedded engine, driven through its
// Zeebe gateway by @camunda8/sdk workers (the same client path the platform uses).
// The platform runs in a child process (its own core); workers and starters run here.
import os from 'node:os';
import { benchDatabases, cpuSeconds, machineCpuSeconds, machineLine, percentile, startPlatform, zeebeClient } from './lib/platform.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 128);
/** BENCH_RATE=<instances/s>: start instances at that steady rate instead of keeping IN_FLIGHT going (latency at a given load). */
const RATE = Number(process.env.BENCH_RATE ?? 0);
const databases = benchDatabases('sqlite,postgres');

const task = (id, type) => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;
const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Bench" targetNamespace="http://channelflow.dev/bpmn">
  <bpmn:process id="bench-order" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Check" />
    ${task('Check', 'bench.check')}
    <bpmn:sequenceFlow id="F2" sourceRef="Check" targetRef="Decide" />
    <bpmn:exclusiveGateway id="Decide" default="F4" />
    <bpmn:sequenceFlow id="F3" sourceRef="Decide" targetRef="Approve"><bpmn:conditionExpression>= amount &gt; 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="Decide" targetRef="Approve" />
    ${task('Approve', 'bench.approve')}
    <bpmn:sequenceFlow id="F5" sourceRef="Approve" targetRef="Ship" />
    ${task('Ship', 'bench.ship')}
    <bpmn:sequenceFlow id="F6" sourceRef="Ship" targetRef="End" />
    <bpmn:endEvent id="End" />
  </bpmn:process>
</bpmn:definitions>`;

async function run(db) {
  const platform = await startPlatform(db, { nodeArgs: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : [] });
  const zeebe = zeebeClient(platform);
  try {
    await zeebe.deployResource({ name: 'bench-order.bpmn', process: Buffer.from(PROCESS) });
    const readyAt = new Map(); // processInstanceKey -> when its next job became available
    const latencies = [];
    let measuring = false;
    let completed = 0;
    let jobsCompleted = 0;
    let inFlight = 0;
    let stopping = false;
    let failures = 0;

    const start = () => {
      if (stopping) return;
      inFlight++;
      const sentAt = performance.now();
      zeebe
        .createProcessInstance({ bpmnProcessId: 'bench-order', variables: { amount: Math.floor(Math.random() * 2000), dealer: 'D-001' } })
        .then((created) => readyAt.set(created.processInstanceKey, sentAt))
        .catch(() => {
          failures++;
          inFlight--;
          setTimeout(start, 100);
        });
    };
    const worker = (type, last) =>
      zeebe.createWorker({
        taskType: type,
        maxJobsToActivate: Number(process.env.BENCH_MAX_JOBS ?? 64),
        timeout: 30_000,
        longPoll: 10_000,
        pollInterval: 10,
        taskHandler: async (job) => {
          const at = readyAt.get(job.processInstanceKey);
          if (measuring && at !== undefined) latencies.push(performance.now() - at);
          // The next job's latency runs from the moment this one is completed (its response and the
          // next job's activation leave the engine in the same commit).
          if (!last) readyAt.set(job.processInstanceKey, performance.now());
          const result = await job.complete({ [type.replace('bench.', '')]: true });
          if (measuring) jobsCompleted++;
          if (last) {
            readyAt.delete(job.processInstanceKey);
            inFlight--;
            if (measuring) completed++;
            if (!RATE) start();
          }
          return result;
        },
      });
    const workers = [worker('bench.check', false), worker('bench.approve', false), worker('bench.ship', true)];
    let pacer;
    if (RATE) {
      const since = performance.now();
      let started = 0;
      pacer = setInterval(() => {
        for (const due = Math.floor(((performance.now() - since) * RATE) / 1000); started < due; started++) start();
      }, 5);
    } else {
      for (let i = 0; i < IN_FLIGHT; i++) start();
    }
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    measuring = true;
    const began = performance.now();
    const platformCpu = cpuSeconds(platform.pid);
    const machineCpu = machineCpuSeconds();
    const driverCpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    measuring = false;
    const elapsed = (performance.now() - began) / 1000;
    const platformSeconds = cpuSeconds(platform.pid) - platformCpu;
    const platformLoad = platformSeconds / elapsed;
    const machineLoad = (machineCpuSeconds() - machineCpu) / elapsed;
    const used = process.cpuUsage(driverCpu);
    const driverLoad = (used.user + used.system) / 1e6 / elapsed;
    stopping = true;
    clearInterval(pacer);
    await Promise.all(workers.map((w) => w.close()));
    latencies.sort((a, b) => a - b);
    return {
      db,
      instancesPerSecond: completed / elapsed,
      jobsPerSecond: jobsCompleted / elapsed,
      completed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failures,
      platformLoad,
      driverLoad,
      othersLoad: machineLoad - platformLoad - driverLoad,
      // The platform's CPU time per completed instance (its 3 jobs, start and end included).
      cpuPerInstanceMs: completed ? (platformSeconds * 1000) / completed : NaN,
    };
  } finally {
    await zeebe.close().catch(() => undefined);
    await platform.stop();
  }
}

const pct = (load) => `${(load * 100).toFixed(0)}%`;
console.log(`bench:engine — ${machineLine()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} before the run`);
console.log(`process: 3 service tasks + exclusive gateway; ${RATE ? `${RATE} instances started per second` : `${IN_FLIGHT} instances in flight`}; ${SECONDS} s measured after ${WARMUP} s warm-up`);
for (const db of databases) {
  try {
    const r = await run(db);
    console.log(
      `${db.padEnd(8)} ${r.instancesPerSecond.toFixed(1)} completed instances/s (${r.completed} in ${SECONDS} s), ${r.jobsPerSecond.toFixed(0)} jobs/s, job latency p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; ` +
        `CPU: platform ${pct(r.platformLoad)} (${r.cpuPerInstanceMs.toFixed(2)} ms per instance), workers ${pct(r.driverLoad)}, rest of the machine ${pct(r.othersLoad)} of a core${r.failures ? `, ${r.failures} failed starts` : ''}`,
    );
  } catch (error) {
    console.log(`${db.padEnd(8)} failed: ${error.message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
process.exit();
