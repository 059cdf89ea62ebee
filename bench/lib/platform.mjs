// Shared by the bench scripts: the platform in a child process on a throw-away database, and a
// Zeebe client (@camunda8/sdk, the client path the platform itself uses) for its gateway.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Resolves packages the way the platform does (root node_modules). */
export const requireFromPlatform = createRequire(path.join(root, 'platform', 'package.json'));

/** BENCH_DATABASES=sqlite,postgres (the default here is each script's own). */
export const benchDatabases = (fallback) => (process.env.BENCH_DATABASES ?? fallback).split(',').map((d) => d.trim()).filter(Boolean);

export const machineLine = () => `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/**
 * Boots the platform in its own process (its own core) on a fresh `db` (sqlite | postgres).
 * `memoryProbe`: the child runs with --expose-gc and answers `probeMemory()` with
 * process.memoryUsage() taken right after a full GC (bench launcher only; the product is unchanged).
 * `setup`: path (from the repository root) of a module run in the child once the platform is up,
 * as `default(env, setupOptions)` returning `{ ready?, commands? }`: `ready` joins the READY object
 * returned here, and each `commands[NAME]` answers `command(NAME)` (a JSON-able result).
 */
export async function startPlatform(db, { nodeArgs = [], memoryProbe = false, setup = null, setupOptions = {} } = {}) {
  const probe = memoryProbe
    ? `require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
        if (line !== 'MEM') return;
        globalThis.gc(); globalThis.gc();
        process.stdout.write('MEM ' + JSON.stringify(process.memoryUsage()) + '\\n');
      });`
    : '';
  // Each command answers on one stdout line: `NAME {"result": …}` or `NAME {"error": "…"}`.
  const commands = setup
    ? `const bench = (await import(${JSON.stringify(pathToFileURL(path.resolve(root, setup)).href)})).default;
      // A failed set-up still drops its throw-away database.
      const { ready: extra = {}, commands = {} } = (await bench(env, ${JSON.stringify(setupOptions)}).catch((error) => env.destroy().finally(() => { throw error; }))) ?? {};
      Object.assign(ready, extra);
      require('node:readline').createInterface({ input: process.stdin }).on('line', (name) => {
        if (!Object.hasOwn(commands, name)) return;
        Promise.resolve().then(() => commands[name]()).then(
          (result) => process.stdout.write(name + ' ' + JSON.stringify({ result }) + '\\n'),
          (error) => process.stdout.write(name + ' ' + JSON.stringify({ error: String(error?.stack ?? error) }) + '\\n'),
        );
      });`
    : '';
  const script = `import('@channelflow/sdk/testing').then(async ({ createTestEnvironment }) => {
      const env = await createTestEnvironment();
      ${probe}
      const ready = { zeebeAddress: env.zeebeAddress, zeebeToken: env.zeebeToken, database: env.database };
      ${commands}
      process.stdout.write('READY ' + JSON.stringify(ready) + '\\n');
      process.on('SIGTERM', () => env.destroy().finally(() => process.exit(0)));
    }).catch((error) => { console.error(error); process.exit(1); });`;
  const child = spawn(process.execPath, [...nodeArgs, ...(memoryProbe ? ['--expose-gc'] : []), '-e', script], {
    cwd: path.join(root, 'platform'),
    env: { ...process.env, DB: db, CHANNELFLOW_TEST_RUN: `bench${process.pid}` },
    stdio: [memoryProbe || setup ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lineWaiters = [];
  child.stdout.on('data', (chunk) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const i = lineWaiters.findIndex((w) => line.startsWith(w.prefix));
      if (i >= 0) lineWaiters.splice(i, 1)[0].resolve(line.slice(line.indexOf(' ') + 1));
    }
  });
  child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-20_000)));
  const exited = new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`platform exited with ${code}: ${err.slice(-2000)}`))));
  exited.catch(() => undefined);
  const nextLine = (prefix) => Promise.race([new Promise((resolve) => lineWaiters.push({ prefix, resolve })), exited]);
  const ready = JSON.parse(await nextLine('READY '));
  return {
    ...ready,
    pid: child.pid,
    /** process.memoryUsage() of the platform after a full GC (memoryProbe only). */
    probeMemory: async () => {
      const answer = nextLine('MEM ');
      child.stdin.write('MEM\n');
      return JSON.parse(await answer);
    },
    /** Runs a command of the `setup` module in the platform process and returns its result. */
    command: async (name) => {
      const answer = nextLine(`${name} `);
      child.stdin.write(`${name}\n`);
      const { result, error } = JSON.parse(await answer);
      if (error) throw new Error(`${name} failed in the platform: ${error}`);
      return result;
    },
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
  };
}

/** A Zeebe client for the platform's gateway (`startPlatform`'s zeebeAddress and zeebeToken). */
export function zeebeClient({ zeebeAddress, zeebeToken }) {
  const { Camunda8 } = requireFromPlatform('@camunda8/sdk');
  return new Camunda8({
    ZEEBE_GRPC_ADDRESS: zeebeAddress,
    CAMUNDA_AUTH_STRATEGY: 'BEARER',
    CAMUNDA_OAUTH_TOKEN: zeebeToken,
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
  }).getZeebeGrpcApiClient();
}

/** CPU seconds a process has used so far (Linux /proc), to show which side is the bottleneck. */
export const cpuSeconds = (pid) => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
};

/** CPU seconds the whole machine has been busy so far (all cores, Linux /proc/stat), e.g. to see what PostgreSQL used. */
export const machineCpuSeconds = () => {
  try {
    const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
};

/** Memory figures of a process from /proc/<pid>/status, in bytes (VmRSS, RssAnon, RssFile, RssShmem, VmHWM). */
export const procMemory = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), rssShmem: kb('RssShmem'), peak: kb('VmHWM') };
};

export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
export const median = (values) => percentile([...values].sort((a, b) => a - b), 50);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
