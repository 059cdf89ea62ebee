import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

// The SDK copy the platform runs on (CommonJS), where its outbox is installed.
const platformRequire = createRequire(import.meta.url);
const { afterCommit } = platformRequire('@channelflow/sdk') as typeof import('@channelflow/sdk');

const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
// Inside the repository, so the generated plug-in resolves @channelflow/sdk like plugins/* do.
const workDir = path.join(root, '.tmp', `scaffold-${randomBytes(4).toString('hex')}`);
// A fresh name each run, so an integrator's own plugins/demo-thing never collides with this test.
const suffix = Array.from(randomBytes(5), (b) => String.fromCharCode(97 + (b % 26))).join('');
const name = `demo-${suffix}`;
const Pascal = `Demo${suffix[0]!.toUpperCase()}${suffix.slice(1)}`;
const camel = `demo${suffix[0]!.toUpperCase()}${suffix.slice(1)}`;
const snake = `demo_${suffix}`;
const ENV = `DEMO_${suffix.toUpperCase()}`;
const pluginDir = path.join(workDir, name);

const RECORD = 'documentId status history { by from to }';
const CREATE = `mutation ($input: Create${Pascal}RecordInput!) { create${Pascal}Record(input: $input) { ${RECORD} } }`;
const APPROVE = `mutation ($id: ID!) { approve${Pascal}Record(documentId: $id) { ${RECORD} } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { reject${Pascal}Record(documentId: $id, reason: $reason) { ${RECORD} } }`;
const APPROVED = `query ($code: String!) { ${camel}Approved(dealerCode: $code) { amountMinor currency } }`;
const LIST = `{ ${camel}Records { total nodes { dealerCode amount { amountMinor currency } } } }`;

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
      './src/content-types/entry/schema.json',
      './src/content-types/record/schema.json',
      './src/contract.ts',
      './src/events.ts',
      './src/graphql/dealer.ts',
      './src/graphql/staff.ts',
      './src/graphql/types.ts',
      './src/index.ts',
      './src/jobs/summarize-records.job.ts',
      './src/migrations.ts',
      './src/options.ts',
      './src/services/record-summary.ts',
      './src/services/records.ledger.ts',
      './src/services/records.service.ts',
      './src/services/records.state-machine.ts',
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
      // Its own contract for others, and the dealers contract it calls through.
      exports: { './contract': { types: './src/contract.ts' } },
      dependencies: { '@channelflow/plugin-dealers': expect.any(String), '@channelflow/sdk': expect.any(String) },
    });
    const source = (file: string) => fs.readFileSync(path.join(pluginDir, 'src', file), 'utf8');
    // The dealers service typed from its contract (tsc below fails if the contract import is lost).
    expect(source('services/records.service.ts')).toContain("import type {} from '@channelflow/plugin-dealers/contract'");
    expect(source('services/records.service.ts')).toContain("service(strapi, 'dealers', 'dealers')");
    expect(source('contract.ts')).toMatch(new RegExp(`'${name}': \\{ records: RecordsService \\}`));
    expect(source('index.ts')).toContain(`satisfies ServiceFactories<'${name}'>`);
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
      env = await createTestEnvironment({
        env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: pluginDir, [`${ENV}_MAX_AMOUNT_MINOR`]: '5000000000', [`${ENV}_WELCOME_TITLE`]: 'Welcome aboard' },
      });
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
      expect(__schema.mutationType.fields.map((f: { name: string }) => f.name)).toEqual(
        expect.arrayContaining([`create${Pascal}Record`, `approve${Pascal}Record`, `reject${Pascal}Record`]),
      );
      const admin = await env.asStaff('platform-admin');
      const { platformInfo } = await admin.query('{ platformInfo { plugins { name jobTypes templates } } }');
      expect(platformInfo.plugins).toContainEqual({
        name,
        jobTypes: [`${name}.summarize-records`],
        templates: [`${name}/record-summary`],
      });
    });

    it("speaks the platform's types: amounts are Money and Long, never a 32-bit Int", async () => {
      const { record, input, approved } = await env.anonymous.query(`{
        record: __type(name: "${Pascal}Record") { fields { name type { ofType { name } } } }
        input: __type(name: "Create${Pascal}RecordInput") { inputFields { name type { ofType { name } } } }
        approved: __schema { queryType { fields { name type { ofType { name } } } } }
      }`);
      const typeOf = (fields: any[], field: string) => fields.find((f) => f.name === field)?.type.ofType?.name;
      expect(typeOf(record.fields, 'amount')).toBe('Money');
      expect(record.fields.map((f: { name: string }) => f.name)).not.toContain('amountMinor');
      expect(typeOf(input.inputFields, 'amountMinor')).toBe('Long');
      expect(typeOf(approved.queryType.fields, `${camel}Approved`)).toBe('Money');
    });

    it("lists for a sales rep only the dealers they reach, where the generated list used to show every dealer's", async () => {
      const mine = await env.createDealer({ code: 'SCAF-MINE' });
      const theirs = await env.createDealer({ code: 'SCAF-THEIRS' });
      const rep = await env.asStaff('sales-rep');
      await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: mine.id }, data: { salesRep: rep.user.email } });
      const manager = await env.asStaff('channel-manager');
      for (const dealer of [mine, theirs]) await manager.query(CREATE, { input: { dealerCode: dealer.code, title: 'Reach', amountMinor: 3_000_000_000 } });
      const seen = (await rep.query(LIST))[`${camel}Records`];
      expect(seen.nodes).toEqual([{ dealerCode: 'SCAF-MINE', amount: { amountMinor: 3_000_000_000, currency: 'CNY' } }]);
      await rep.expectError('NOT_FOUND', APPROVED, { code: 'SCAF-THEIRS' });
      expect((await manager.query(LIST))[`${camel}Records`].nodes.map((n: { dealerCode: string }) => n.dealerCode)).toEqual(expect.arrayContaining(['SCAF-MINE', 'SCAF-THEIRS']));
    });

    it('renders its zh-CN template in Chinese, with nothing left in English', () => {
      const { templates } = platformRequire('@channelflow/sdk') as typeof import('@channelflow/sdk');
      const zh = templates(env.strapi).render(`${name}/record-summary`, { locale: 'zh-CN', data: { dealerName: '宁波永安商贸', recordCount: 2, totalMinor: 123456, currency: 'CNY' } });
      expect(zh.subject).toBe('您的记录汇总');
      expect(zh.text).toContain('您共有 2 条记录，合计 ¥1,234.56');
      // The layout's footer names the product, Channelflow; nothing else is in Latin letters.
      expect(`${zh.subject}\n${zh.text}`.replaceAll('Channelflow', '')).not.toMatch(/[A-Za-z]{2,}/);
    });

    it('requires the dealers plug-in and boots after it', () => {
      const registry = platformRegistry(env.strapi);
      expect(registry.plugin(name)?.requires).toEqual(['dealers']);
      const order = registry.bootOrder().map((p) => p.name);
      expect(order.indexOf('dealers')).toBeLessThan(order.indexOf(name));
    });

    it('declares its settings with defineOptions, set from <PLUG_IN>_<SETTING> variables', async () => {
      const server = platformRequire(path.join(pluginDir, 'strapi-server.js'));
      expect(server.options.describe().map((o: { env: string }) => o.env)).toEqual([`${ENV}_MAX_AMOUNT_MINOR`, `${ENV}_WELCOME_TITLE`]);
      const dealer = await env.createDealer({ code: 'SCAF-LIMIT' });
      const manager = await env.asStaff('channel-manager');
      // 5,000,000,000 (beyond a 32-bit Int) is this start's MAX_AMOUNT_MINOR; the default would allow more.
      await manager.expectError('BAD_INPUT', CREATE, { input: { dealerCode: dealer.code, title: 'Over the limit', amountMinor: 5_000_000_001 } });
      expect((await manager.query(CREATE, { input: { dealerCode: dealer.code, title: 'At the limit', amountMinor: 5_000_000_000 } }))[`create${Pascal}Record`]).toMatchObject({ status: 'submitted' });
    });

    it('approving moves the record through its state machine, books the ledger and emits its event; a refused move is a CONFLICT', async () => {
      const dealer = await env.createDealer({ code: 'SCAF-APPROVE' });
      const manager = await env.asStaff('channel-manager');
      const finance = await env.asStaff('finance');
      const { documentId } = (await manager.query(CREATE, { input: { dealerCode: dealer.code, title: 'Approve me', amountMinor: 1234 } }))[`create${Pascal}Record`];

      const approved = (await finance.query(APPROVE, { id: documentId }))[`approve${Pascal}Record`];
      expect(approved).toMatchObject({ status: 'approved', history: [{ from: null, to: 'submitted' }, { from: 'submitted', to: 'approved', by: finance.user.email }] });
      expect((await finance.query(APPROVED, { code: dealer.code }))[`${camel}Approved`]).toEqual({ amountMinor: 1234, currency: 'CNY' });
      const knex = env.strapi.db.connection;
      const entries = await knex(`${snake}_entries`).where({ dealer_id: dealer.id }).select('kind', 'amount_minor');
      expect(entries.map((e: any) => ({ kind: e.kind, amountMinor: Number(e.amount_minor) }))).toEqual([{ kind: 'approval', amountMinor: 1234 }]);
      const migrations = await knex('channelflow_migrations').where({ plugin: name }).pluck('name');
      expect(migrations).toEqual(['001-create-balances']);
      const delivered = await afterCommit(env.strapi).settle(`event:${name}.record-approved:${documentId}`);
      expect(delivered).toMatchObject({ state: 'delivered' });

      // The state machine's own refusal, and nothing booked twice.
      const refused = await finance.request(APPROVE, { id: documentId });
      expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/is approved; it cannot become approved/) });
      await finance.expectError('CONFLICT', REJECT, { id: documentId, reason: 'too late' });
      expect((await finance.query(APPROVED, { code: dealer.code }))[`${camel}Approved`]).toEqual({ amountMinor: 1234, currency: 'CNY' });
      expect(Number((await knex(`${snake}_entries`).where({ dealer_id: dealer.id }).count({ n: '*' }).first())!.n)).toBe(1);
    });

    it("reacts to the dealers plug-in's dealers.onboarded event", async () => {
      const dealer = await env.createDealer({ code: 'SCAF-NEW' });
      const eventId = `dealers.onboarded:${dealer.code}`;
      await afterCommit(env.strapi).emit(
        'dealers.onboarded',
        { dealerId: dealer.id, dealerCode: dealer.code, applicationNumber: 'APP-9', tier: 'silver', regionCode: 'EAST', ownerEmail: 'owner@dealer.example' },
        { eventId },
      );
      expect(await afterCommit(env.strapi).settle(`event:${eventId}`)).toMatchObject({ state: 'delivered' });
      const owner = await env.asDealer(dealer);
      expect((await owner.query(`{ my${Pascal}Records { title status } }`))[`my${Pascal}Records`]).toEqual([{ title: 'Welcome aboard', status: 'submitted' }]);
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
