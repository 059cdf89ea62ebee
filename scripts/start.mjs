// `npm start`: ensure secrets, then serve the built platform (SQLite + embedded defaults unless env says otherwise).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEnvFile } from './env-file.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const appDir = path.join(root, 'platform');
ensureEnvFile(appDir);

const child = spawn(process.execPath, [path.join(root, 'node_modules', '@strapi', 'strapi', 'bin', 'strapi.js'), 'start'], {
  cwd: appDir,
  stdio: 'inherit',
  // The quickstart wants the demo; a deployment that runs `strapi start` itself gets none unless it asks.
  env: { NODE_ENV: 'production', CHANNELFLOW_SEED: 'demo', STRAPI_TELEMETRY_DISABLED: 'true', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
