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
// The admin customisation (branding) is an input too.
const adminDir = path.join(appDir, 'src', 'admin');
for (const name of fs.existsSync(adminDir) ? fs.readdirSync(adminDir, { recursive: true }).sort() : []) {
  const file = path.join(adminDir, String(name));
  if (fs.statSync(file).isFile()) inputs.push(file);
}
const hash = createHash('sha256');
// Paths relative to the checkout: a moved or copied checkout keeps its build.
for (const file of inputs) hash.update(path.relative(root, file).split(path.sep).join('/')).update(fs.readFileSync(file));
// Variables the admin bundle reads at build time (STRAPI_ADMIN_BRAND_NAME).
for (const [name, value] of Object.entries(process.env).filter(([n]) => n.startsWith('STRAPI_ADMIN_')).sort()) hash.update(`${name}=${value}`);
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
