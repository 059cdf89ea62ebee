#!/usr/bin/env node
// `npm run new:plugin -- <name>`: scaffolds plugins/<name> from scripts/plugin-template and links it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templateDir = path.join(root, 'scripts', 'plugin-template');
const RESERVED = new Set(['platform', 'admin', 'graphql', 'users-permissions', 'email', 'upload', 'i18n', 'content-manager', 'content-type-builder']);

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const noInstall = args.includes('--no-install');
const dirArg = flag('--dir');
const name = args.filter((a) => !a.startsWith('--'))[0];

function fail(message) {
  console.error(`new:plugin: ${message}`);
  console.error('usage: npm run new:plugin -- <name>   (kebab-case, e.g. gifts or demo-thing)');
  process.exit(1);
}

if (!name) fail('name the plug-in');
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) fail(`"${name}" is not kebab-case (lower-case words joined by dashes)`);
if (name.length > 40) fail('keep the name under 40 characters: it prefixes tables, types and job types');
if (RESERVED.has(name)) fail(`"${name}" is taken by the platform or Strapi`);

const pluginsDir = dirArg ? path.resolve(dirArg) : path.join(root, 'plugins');
const target = path.join(pluginsDir, name);
if (fs.existsSync(target)) fail(`${path.relative(root, target)} already exists`);
for (const existing of fs.existsSync(path.join(root, 'plugins')) ? fs.readdirSync(path.join(root, 'plugins')) : []) {
  const pkg = path.join(root, 'plugins', existing, 'package.json');
  if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).strapi?.name === name) fail(`a plug-in named "${name}" already exists`);
}

const words = name.split('-');
const tokens = {
  __name__: name,
  __Name__: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
  __nameCamel__: words[0] + words.slice(1).map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
  __name_snake__: words.join('_'),
  __NAME_ENV__: words.join('_').toUpperCase(),
  __title__: words.join(' '),
  __Title__: words.join(' ').replace(/^./, (c) => c.toUpperCase()),
  __rootTsconfig__: path.relative(target, path.join(root, 'tsconfig.json')).split(path.sep).join('/'),
};
const pattern = new RegExp(Object.keys(tokens).join('|'), 'g');
const fill = (text) => text.replace(pattern, (token) => tokens[token]);

const written = [];
function copy(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const destination = path.join(to, fill(entry.name));
    if (entry.isDirectory()) copy(source, destination);
    else {
      fs.writeFileSync(destination, fill(fs.readFileSync(source, 'utf8')));
      written.push(path.relative(root, destination));
    }
  }
}
copy(templateDir, target);
console.log(`created ${path.relative(root, target) || target}:`);
for (const file of written.sort()) console.log(`  ${file}`);

if (!noInstall && !dirArg) {
  // Links the new workspace and records it in package-lock.json, so `npm ci` keeps working.
  console.log('\nlinking the workspace (npm install)...');
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

console.log(`
Next:
  npm start              builds everything (the new plug-in included) and serves it
  npm test               runs every test, the new plug-in's among them
  npm run schema         writes schema.graphql again with its operations (npm test fails until then)

The plug-in is registered automatically (platform/config/plugins.ts loads every plugins/*).
Its GraphQL: query ${tokens.__nameCamel__}Records and ${tokens.__nameCamel__}Approved (staff), query my${tokens.__Name__}Records (dealer),
mutations create${tokens.__Name__}Record, approve${tokens.__Name__}Record, reject${tokens.__Name__}Record (staff).
Job type: ${name}.summarize-records. Event: ${name}.record-approved (it reacts to dealers.onboarded).
Settings: ${tokens.__NAME_ENV__}_MAX_AMOUNT_MINOR, ${tokens.__NAME_ENV__}_WELCOME_TITLE.`);
