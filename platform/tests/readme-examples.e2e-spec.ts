import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { samplePdf } from '../../plugins/dealers/src/sample-pdf';
import { fillPlaceholders, graphqlSteps, printedJson, readmeExamples, type GraphqlStep, type ReadmeExample } from './support/readme-examples';

/*
 * README.md's GraphQL and shell examples, run as written (in README order, one answer feeding the
 * next) against the platform with its demo data. The rules a block follows are in
 * support/readme-examples.ts; a block that cannot run here says why in its fence.
 */

const root = path.resolve(__dirname, '../..');
const DEMO_PASSWORD = 'demo-readme-password';
const examples = readmeExamples(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));

describe('README examples', () => {
  let env: TestEnvironment;
  let workspace: string;
  const answers = new Map<string, unknown>();
  /** How to ask again for an answer a later example waits for (work the platform finishes asynchronously). */
  const askAgain = new Map<string, () => Promise<void>>();
  const clients = new Map<string, GraphqlClient>();

  beforeAll(async () => {
    env = await createTestEnvironment({ seed: 'demo', env: { DEMO_PASSWORD } });
    // What a reader's shell has: the files the examples name, the platform's .env, the repository's tools.
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-examples-'));
    fs.writeFileSync(path.join(workspace, '营业执照.pdf'), samplePdf(['Business Licence', 'README example']));
    fs.mkdirSync(path.join(workspace, 'platform'));
    fs.writeFileSync(path.join(workspace, 'platform', '.env'), `WORKFLOW_GATEWAY_CLIENT_SECRET=${env.zeebeClientCredentials.clientSecret}\n`);
    fs.symlinkSync(path.join(root, 'workflows'), path.join(workspace, 'workflows'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(workspace, 'node_modules'));
    // The demo starts its own applications and credit-limit requests once the engine runs: let them reach their inboxes first.
    const finance = await signedIn('sun.finance@demo.channelflow.local');
    await eventually(async () => expect((await finance.query('{ taskInbox { total } }')).taskInbox.total).toBeGreaterThan(0), { timeoutMs: 60_000 });
  });
  afterAll(async () => {
    await env?.destroy();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('has examples, and every one that is not run says why', () => {
    expect(examples.filter((e) => !e.notExecuted).length).toBeGreaterThan(5);
    for (const example of examples.filter((e) => e.notExecuted)) expect(example.notExecuted, `README line ${example.line}`).toMatch(/\w{3,}/);
  });

  for (const example of examples) {
    const title = `line ${example.line}: ${example.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))?.trim().slice(0, 70)}`;
    if (example.notExecuted) {
      it.skip(`${title} (not executed: ${example.notExecuted})`, () => undefined);
      continue;
    }
    it(title, async () => {
      if (example.language === 'graphql') for (const step of graphqlSteps(example)) await runGraphql(step);
      else await runShell(example);
    });
  }

  /** A demo login signed in through the GraphQL login mutation, as the README tells a reader to. */
  async function signedIn(login: string | null): Promise<GraphqlClient> {
    if (login === null) return env.anonymous;
    const known = clients.get(login);
    if (known) return known;
    const res = await env.anonymous.request('mutation ($identifier: String!, $password: String!) { login(input: { identifier: $identifier, password: $password }) { jwt } }', { identifier: login, password: DEMO_PASSWORD });
    if (res.errors?.length) throw new Error(`"# as ${login}": this demo login cannot sign in: ${res.errors[0]!.message}`);
    const client = new GraphqlClient(`${env.baseUrl}/graphql`, res.data.login.jwt);
    clients.set(login, client);
    return client;
  }

  /** Fills the placeholders, asking the queries they come from again while the platform is still at work. */
  async function filled(text: string, line: number): Promise<string> {
    const first = fillPlaceholders(text, answers, { DEMO_PASSWORD });
    if (!first.missing.length) return first.text;
    const waitable = first.sources.every((source) => askAgain.has(source));
    if (!waitable) throw new Error(`README line ${line}: no earlier example answers ${first.missing.join(', ')}`);
    return eventually(
      async () => {
        for (const source of first.sources) await askAgain.get(source)!();
        const again = fillPlaceholders(text, answers, { DEMO_PASSWORD });
        if (again.missing.length) throw new Error(`README line ${line}: the earlier examples' answers hold no ${again.missing.join(', ')}`);
        return again.text;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  }

  async function runGraphql(step: GraphqlStep) {
    const client = await signedIn(step.as);
    const document = await filled(step.document, step.line);
    const ask = async () => {
      const res = await client.request(document);
      const errors = (res.errors ?? []).map((e) => `${e.extensions?.code}: ${e.message}`);
      expect(errors, `README line ${step.line} (as ${step.as ?? 'anyone'}):\n${document}`).toEqual([]);
      for (const field of step.rootFields) answers.set(field, res.data?.[field]);
    };
    await ask();
    if (step.operation === 'query') for (const field of step.rootFields) askAgain.set(field, ask);
  }

  async function runShell(example: ReadmeExample) {
    const gateway = env.zeebeAddress.replace('grpc://', '');
    const local = new URL(env.baseUrl).host;
    const script = (await filled(example.code, example.line)).replaceAll('localhost:1337', local).replaceAll('127.0.0.1:1337', local).replaceAll('127.0.0.1:26500', gateway);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ZEEBE_') && !name.startsWith('CAMUNDA_')));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: workspace, timeout: 60_000, env: { ...clean, HOME: workspace, PATH: `${path.join(root, 'node_modules/.bin')}:${process.env.PATH}` } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as any).code ?? 1) : 0, stdout, stderr }),
      );
    });
    const hint = 'if it cannot run against a test server, mark its fence "not-executed: <reason>"';
    expect(result.code, `README line ${example.line} failed (${hint}):\n${result.stderr}${result.stdout}`).toBe(0);
    const urls = [...script.matchAll(/https?:\/\/[^\s'"]+/g)].map((m) => new URL(m[0]!).pathname.split('/').filter(Boolean).at(-1)!);
    for (const printed of printedJson(result.stdout)) {
      const body = printed as { data?: Record<string, unknown>; errors?: unknown[]; error?: unknown };
      expect(body.errors ?? body.error ?? null, `README line ${example.line} printed an error: ${JSON.stringify(printed)}`).toBeNull();
      if (body.data) for (const [field, value] of Object.entries(body.data)) answers.set(field, value);
      else if (urls.length) answers.set(urls.at(-1)!, printed);
    }
  }
});
