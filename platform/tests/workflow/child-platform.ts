import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildPlatform {
  zeebeAddress: string;
  /** The child's HTTP address (GraphQL at /graphql, plug-in endpoints under /api). */
  baseUrl: string;
  /** The child gateway's bearer token. */
  zeebeToken: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The platform in its own process (Strapi allows one instance per process), on its own
 * throw-away database. Useful as a Zeebe peer, and for kill -9 crash tests.
 */
export async function startChildPlatform(env: Record<string, string> = {}): Promise<ChildPlatform> {
  const script = `
    import('@channelflow/sdk/testing').then(async ({ createTestEnvironment }) => {
      const env = await createTestEnvironment({ env: JSON.parse(process.env.CHANNELFLOW_CHILD_ENV || '{}') });
      process.stdout.write('READY ' + JSON.stringify({ zeebeAddress: env.zeebeAddress, zeebeToken: env.zeebeToken, baseUrl: env.baseUrl }) + '\\n');
      process.on('SIGTERM', () => env.destroy().finally(() => process.exit(0)));
    }).catch((error) => { console.error(error); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: __dirname, // The harness applies its own defaults over process.env; `env` must win over those too.
    env: { ...process.env, ...env, CHANNELFLOW_CHILD_ENV: JSON.stringify(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await new Promise<{ zeebeAddress: string; zeebeToken: string; baseUrl: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) resolve(JSON.parse(line.slice(6)));
    });
    child.stderr!.on('data', (chunk) => (err += chunk));
    if (process.env.CHANNELFLOW_DEBUG_CHILD) child.stderr!.pipe(process.stderr), child.stdout!.pipe(process.stderr);
    child.on('exit', (code) => reject(new Error(`child platform exited with ${code}: ${err.slice(-2000)}`)));
  });
  return {
    zeebeAddress: ready.zeebeAddress,
    zeebeToken: ready.zeebeToken,
    baseUrl: ready.baseUrl,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
