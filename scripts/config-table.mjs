#!/usr/bin/env node
// README's table of plug-in settings, from each plug-in's defineOptions schema (built dist, so run `npm run build:code` first).
//   node scripts/config-table.mjs           prints the table
//   node scripts/config-table.mjs --write   rewrites it in README.md, between the markers
//   node scripts/config-table.mjs --check   exits 1 when README.md's table is not what the schemas say
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const START = '<!-- plugin-options:start -->';
export const END = '<!-- plugin-options:end -->';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Every directory under plugins/ that is a Strapi plug-in, in name order. */
export function pluginDirs(pluginsDir = path.join(root, 'plugins')) {
  return fs
    .readdirSync(pluginsDir)
    .sort()
    .map((name) => path.join(pluginsDir, name))
    .filter((dir) => {
      const manifest = path.join(dir, 'package.json');
      return fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).strapi?.kind === 'plugin';
    });
}

/** The settings of each plug-in in `dirs` (describe() of its defineOptions); a plug-in without options has none. */
export function optionRows(dirs) {
  const rows = [];
  for (const dir of dirs) {
    const entry = path.join(dir, 'strapi-server.js');
    let server;
    try {
      server = require(entry);
    } catch (error) {
      throw new Error(`cannot load ${path.relative(root, entry)} (run npm run build:code first): ${error.message}`);
    }
    const options = (server && server.default) ?? server;
    if (options?.options) rows.push(...options.options.describe());
  }
  return rows;
}

/** A Markdown table in the README's configuration style: variable, default, meaning. */
export function renderTable(rows) {
  if (!rows.length) return 'No plug-in declares settings yet.';
  const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| Variable | Default | Meaning |', '|---|---|---|'];
  for (const row of rows) {
    lines.push(`| \`${row.env}\` | ${row.default === '' ? 'unset' : `\`${cell(row.default)}\``} | ${cell(row.description) || `setting \`${row.key}\` of the ${row.plugin} plug-in`} |`);
  }
  return lines.join('\n');
}

/** `readme` with the text between the markers replaced by `table`. */
export function replaceTable(readme, table) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

/** The table as README.md has it now (between the markers). */
export function tableIn(readme) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md has no ${START} … ${END} markers`);
  return readme.slice(start + START.length, end).trim();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readmePath = path.join(root, 'README.md');
  const table = renderTable(optionRows(pluginDirs()));
  const mode = process.argv[2];
  if (mode === '--write') {
    fs.writeFileSync(readmePath, replaceTable(fs.readFileSync(readmePath, 'utf8'), table));
    console.log('README.md: plug-in settings table rewritten');
  } else if (mode === '--check') {
    if (tableIn(fs.readFileSync(readmePath, 'utf8')) !== table) {
      console.error('README.md: the plug-in settings table differs from the plug-ins\' options; run node scripts/config-table.mjs --write');
      process.exit(1);
    }
  } else {
    console.log(table);
  }
}
