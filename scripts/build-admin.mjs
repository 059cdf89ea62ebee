// Builds the Strapi admin panel, skipping the (slow) build when nothing it depends on changed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const appDir = path.join(root, 'platform');
const stampFile = path.join(appDir, 'dist', 'build', '.channelflow-stamp');

const inputs = [path.join(root, 'package-lock.json'), path.join(appDir, 'package.json')];
for (const name of fs.readdirSync(path.join(root, 'plugins')).sort()) {
  const pkg = path.join(root, 'plugins', name, 'package.json');
  if (fs.existsSync(pkg)) inputs.push(pkg);
}
const hash = createHash('sha256');
for (const file of inputs) hash.update(file).update(fs.readFileSync(file));
const stamp = hash.digest('hex');

if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp && fs.existsSync(path.join(appDir, 'dist', 'build', 'index.html'))) {
  console.log('admin panel is up to date');
} else {
  console.log('building the admin panel (a few minutes on first start)...');
  execFileSync(process.execPath, [path.join(root, 'node_modules', '@strapi', 'strapi', 'bin', 'strapi.js'), 'build', '--minify'], {
    cwd: appDir,
    stdio: 'inherit',
    env: { NODE_ENV: 'production', STRAPI_TELEMETRY_DISABLED: 'true', ...process.env },
  });
  fs.writeFileSync(stampFile, stamp);
}
