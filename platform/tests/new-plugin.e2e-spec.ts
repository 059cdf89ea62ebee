import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
// Inside the repository, so the generated plug-in resolves @channelflow/sdk like plugins/* do.
const workDir = path.join(root, '.tmp', `scaffold-${randomBytes(4).toString('hex')}`);
// A fresh name each run, so an integrator's own plugins/demo-thing never collides with this test.
const suffix = Array.from(randomBytes(5), (b) => String.fromCharCode(97 + (b % 26))).join('');
const name = `demo-${suffix}`;
const Pascal = `Demo${suffix[0]!.toUpperCase()}${suffix.slice(1)}`;
const camel = `demo${suffix[0]!.toUpperCase()}${suffix.slice(1)}`;
const pluginDir = path.join(workDir, name);

describe('npm run new:plugin -- <name>', () => {
  let generatorOutput = '';
  beforeAll(() => {
    generatorOutput = execFileSync(process.execPath, [path.join(root, 'scripts', 'new-plugin.mjs'), name, '--dir', workDir], {
      cwd: root,
      encoding: 'utf8',
    });
  });
  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it('creates the files CONVENTIONS.md asks for, with the names substituted', () => {
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: pluginDir, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(files).toEqual([
      './package.json',
      './src/content-types/record/schema.json',
      './src/graphql/dealer.ts',
      './src/graphql/staff.ts',
      './src/graphql/types.ts',
      './src/index.ts',
      './src/jobs/summarize-records.job.ts',
      './src/services/record-summary.ts',
      './src/services/records.service.ts',
      './strapi-server.js',
      `./templates/${name}/record-summary.en.hbs`,
      `./templates/${name}/record-summary.zh-CN.hbs`,
      `./tests/${name}.e2e-spec.ts`,
      './tests/record-summary.spec.ts',
      './tsconfig.json',
      './tsup.config.ts',
    ]);
    const all = files.map((f) => fs.readFileSync(path.join(pluginDir, f), 'utf8')).join('\n');
    expect(all).not.toMatch(/__[a-zA-Z_]+__/);
    expect(JSON.parse(fs.readFileSync(path.join(pluginDir, 'package.json'), 'utf8'))).toMatchObject({
      name: `@channelflow/plugin-${name}`,
      strapi: { kind: 'plugin', name },
    });
    expect(fs.readFileSync(path.join(pluginDir, 'src/jobs/summarize-records.job.ts'), 'utf8')).toContain(
      `export const summarizeRecordsJobType = '${name}.summarize-records'`,
    );
    expect(generatorOutput).toContain(`${camel}Records`);
  });

  it('refuses a name that is not kebab-case, or one that exists', () => {
    const run = (name: string) =>
      spawnSync(process.execPath, [path.join(root, 'scripts', 'new-plugin.mjs'), name, '--dir', workDir], { cwd: root, encoding: 'utf8' });
    expect(run('DemoThing')).toMatchObject({ status: 1, stderr: expect.stringContaining('not kebab-case') });
    expect(run(name)).toMatchObject({ status: 1, stderr: expect.stringContaining('already exists') });
    expect(run('dealers')).toMatchObject({ status: 1, stderr: expect.stringContaining('already exists') });
  });

  describe('once built', () => {
    let env: TestEnvironment;
    beforeAll(async () => {
      execFileSync(bin('tsup'), { cwd: pluginDir, stdio: 'pipe' });
      env = await createTestEnvironment({ env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: pluginDir } });
    });
    afterAll(() => env?.destroy());

    it('type-checks', () => {
      const result = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', pluginDir], { encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
    });

    it('is registered and its queries are in the GraphQL schema', async () => {
      const { __schema } = await env.anonymous.query('{ __schema { queryType { fields { name } } mutationType { fields { name } } } }');
      const queries = __schema.queryType.fields.map((f: { name: string }) => f.name);
      expect(queries).toEqual(expect.arrayContaining([`${camel}Records`, `my${Pascal}Records`]));
      expect(__schema.mutationType.fields.map((f: { name: string }) => f.name)).toContain(`create${Pascal}Record`);
      const admin = await env.asStaff('platform-admin');
      const { platformInfo } = await admin.query('{ platformInfo { plugins { name jobTypes templates } } }');
      expect(platformInfo.plugins).toContainEqual({
        name,
        jobTypes: [`${name}.summarize-records`],
        templates: [`${name}/record-summary`],
      });
    });

    it("passes its own generated tests", () => {
      fs.writeFileSync(
        path.join(workDir, 'vitest.config.mts'),
        `export default { test: { include: ['${pluginDir}/tests/**/*.{spec,e2e-spec}.ts'], pool: 'forks', testTimeout: 60000, hookTimeout: 240000 } };\n`,
      );
      const result = spawnSync(bin('vitest'), ['run', '--root', root, '--config', path.join(workDir, 'vitest.config.mts')], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CHANNELFLOW_EXTRA_PLUGIN_DIRS: pluginDir, DB: process.env.DB ?? 'sqlite' },
      });
      const output = result.stdout + result.stderr;
      expect(output).toMatch(/Tests\s+.*\d+ passed/);
      expect(output).not.toMatch(/\d+ failed/);
      expect(result.status).toBe(0);
    }, 240_000);
  });
});
