import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { createThrowAwayDatabase, requestedDatabase, type ThrowAwayDatabase } from '@channelflow/sdk/testing';
import { startChildPlatform, type ChildPlatform } from './child-platform';
import { bpmn, clientFor, eventually, uniqueId } from './zeebe-target';

const fixture = path.resolve(__dirname, '../fixtures/plugins/jobs-demo');
const INSTANCES = 24;

/** Reads the platform's database from outside the (killed) platform process. */
function openDatabase(db: ThrowAwayDatabase) {
  const knex = createRequire(require.resolve('@strapi/database'))('knex');
  return db.client === 'sqlite'
    ? knex({ client: 'better-sqlite3', connection: { filename: db.name }, useNullAsDefault: true })
    : knex({ client: 'pg', connection: db.env.DATABASE_URL });
}

// A platform killed with SIGKILL mid-flow resumes every instance after a restart, and no job's
// side effect happens twice: the engine never loses a committed step nor recreates a job.
describe('crash: SIGKILL mid-flow, then restart', () => {
  let db: ThrowAwayDatabase;
  let platform: ChildPlatform | null = null;
  let reader: ReturnType<typeof openDatabase> | null = null;
  afterAll(async () => {
    await reader?.destroy();
    await platform?.stop();
    await db?.drop();
  });

  it('completes every instance with each job side effect exactly once', async () => {
    db = await createThrowAwayDatabase(requestedDatabase());
    const env = { ...db.env, CHANNELFLOW_EXTRA_PLUGIN_DIRS: fixture, JOBS_DEMO_SLOW_MS: '150', WORKFLOW_JOB_TIMEOUT_MS: '2000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
    platform = await startChildPlatform(env);
    let client = clientFor(platform.zeebeAddress, platform.zeebeToken);
    const id = uniqueId('Crash');
    await client.deployResource({
      name: `${id}.bpmn`,
      process: Buffer.from(
        bpmn(
          id,
          `<bpmn:startEvent id="Start" /><bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Add" />
           <bpmn:serviceTask id="Add"><bpmn:extensionElements><zeebe:taskDefinition type="jobs-demo.add-numbers" /></bpmn:extensionElements></bpmn:serviceTask>
           <bpmn:sequenceFlow id="F2" sourceRef="Add" targetRef="Double" />
           <bpmn:serviceTask id="Double"><bpmn:extensionElements><zeebe:taskDefinition type="jobs-demo.double-sum" /></bpmn:extensionElements></bpmn:serviceTask>
           <bpmn:sequenceFlow id="F3" sourceRef="Double" targetRef="End" /><bpmn:endEvent id="End" />`,
        ),
      ),
    });
    const started: Array<{ key: string; a: number; b: number }> = [];
    for (let i = 0; i < INSTANCES; i++) {
      const created = await client.createProcessInstance({ bpmnProcessId: id, variables: { a: i, b: 100 } });
      started.push({ key: String(created.processInstanceKey), a: i, b: 100 });
    }
    reader = openDatabase(db);
    // Kill once some work is done and some is still in flight.
    await eventually(async () => {
      const [{ n }] = await reader!('fixture_side_effects').count({ n: '*' });
      if (Number(n) < 6) throw new Error(`only ${n} side effects so far`);
    });
    platform.child.kill('SIGKILL');
    await new Promise((resolve) => platform!.child.once('exit', resolve));
    await client.close();
    const [{ n: before }] = await reader('fixture_side_effects').count({ n: '*' });
    expect(Number(before)).toBeLessThan(INSTANCES * 2);

    platform = await startChildPlatform(env);
    client = clientFor(platform.zeebeAddress, platform.zeebeToken);
    await eventually(
      async () => {
        const open = await reader!('wf_process_instances').where({ bpmn_process_id: id }).whereNot({ state: 'COMPLETED' }).count({ n: '*' });
        if (Number(open[0].n)) throw new Error(`${open[0].n} instances still running`);
      },
      { timeoutMs: 60_000 },
    );
    await client.close();

    const instances = await reader('wf_process_instances').where({ bpmn_process_id: id }).select('key', 'variables');
    expect(instances).toHaveLength(INSTANCES);
    for (const s of started) {
      const row = instances.find((r: { key: unknown }) => String(r.key) === s.key);
      expect(JSON.parse(row.variables)).toMatchObject({ sum: s.a + s.b, doubled: 2 * (s.a + s.b) });
    }
    const effects = await reader('fixture_side_effects').select('process_instance_key', 'what', 'runs');
    // One job per task and instance: nothing was recreated, nothing lost.
    expect(effects).toHaveLength(INSTANCES * 2);
    for (const s of started) {
      expect(effects.filter((e: { process_instance_key: string }) => e.process_instance_key === s.key).map((e: { what: string }) => e.what).sort()).toEqual(['add', 'double']);
    }
    // Only jobs in flight at the kill (activated, not completed) may have run a second time.
    const reruns = effects.reduce((sum: number, e: { runs: number }) => sum + Number(e.runs) - 1, 0);
    expect(reruns).toBeLessThanOrEqual(2 * 16);
  }, 120_000);
});
