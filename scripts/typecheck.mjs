// Type-checks the SDK and every plug-in (tsup builds them without checking types).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const projects = [path.join(root, 'platform', 'sdk')];
for (const name of fs.readdirSync(path.join(root, 'plugins')).sort()) {
  if (fs.existsSync(path.join(root, 'plugins', name, 'tsconfig.json'))) projects.push(path.join(root, 'plugins', name));
}
let failed = false;
for (const project of projects) {
  try {
    execFileSync(process.execPath, [tsc, '-p', project, '--noEmit'], { cwd: root, stdio: 'inherit' });
  } catch {
    failed = true;
    console.error(`typecheck failed: ${path.relative(root, project)}`);
  }
}
process.exit(failed ? 1 : 0);
