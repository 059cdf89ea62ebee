import fs from 'node:fs';
import path from 'node:path';

/** The repository root (holds platform/, plugins/, templates/, workflows/), from src or dist alike. */
export function repoRoot(): string {
  if (process.env.CHANNELFLOW_ROOT) return process.env.CHANNELFLOW_ROOT;
  let dir = __dirname;
  for (let i = 0; i < 6; i += 1) {
    if (fs.existsSync(path.join(dir, 'platform')) && fs.existsSync(path.join(dir, 'templates'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the repository root above ${__dirname}; set CHANNELFLOW_ROOT`);
}

export const templatesDir = () => path.join(repoRoot(), 'templates');
export const pluginsDir = () => process.env.CHANNELFLOW_PLUGINS_DIR ?? path.join(repoRoot(), 'plugins');
