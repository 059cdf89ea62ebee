import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');

describe('SDK public types', () => {
  it('compile for an integrator, and reject the misuses marked @ts-expect-error', () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types', 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    } catch (error: any) {
      output = `${error.stdout}${error.stderr}`;
    }
    expect(output).toBe('');
  }, 120_000);
});
