import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { createThrowAwayDatabase, requestedDatabase, type ThrowAwayDatabase } from '@channelflow/sdk/testing';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture';
import { startChildPlatform, type ChildPlatform } from './child-platform';
import { bpmn, clientFor, eventually, uniqueId } from './zeebe-target';

const fixture = path.resolve(__dirname, '../fixtures/plugins/outbox-demo');

/** Reads the platform's database from outside the (killed) platform process. */
function openDatabase(db: ThrowAwayDatabase) {
  const knex = createRequire(require.resolve('@strapi/database'))('knex');
  return db.client === 'sqlite'
    ? knex({ client: 'better-sqlite3', connection: { filename: db.name }, useNullAsDefault: true })
    : knex({ client: 'pg', connection: db.env.DATABASE_URL });
}

// A platform killed with SIGKILL right after a commit that wrote effects delivers each of them
// exactly once after a restart: the process starts once, the message is published once, the
// e-mail is sent once and the event is handled once, also when a delivery is repeated.
describe('outbox crash: SIGKILL between commit and delivery, then restart', () => {
  let db: ThrowAwayDatabase;
  let platform: ChildPlatform | null = null;
  let reader: ReturnType<typeof openDatabase> | null = null;
  let smtp: SmtpCapture | undefined;
  /** Every address the SMTP server has received mail for, in order. */
  const received = () => smtp?.received.flatMap((mail) => mail.to) ?? [];
  afterAll(async () => {
    await reader?.destroy();
    await platform?.stop();
    await db?.drop();
    await smtp?.stop();
  });

  it('delivers every effect once after the restart', async () => {
    smtp = await startSmtpCapture();
    db = await createThrowAwayDatabase(requestedDatabase());
    const env = {
      ...db.env,
      CHANNELFLOW_EXTRA_PLUGIN_DIRS: fixture,
      ...smtp.env,
      OUTBOX_DISPATCH_INTERVAL_MS: '100',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    };
    platform = await startChildPlatform(env);
    const id = uniqueId('OutboxCrash');
    const client = clientFor(platform.zeebeAddress, platform.zeebeToken);
    await client.deployResource({
      name: `${id}.bpmn`,
      process: Buffer.from(
        bpmn(
          id,
          `<bpmn:startEvent id="Start" /><bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Wait" />
           <bpmn:intermediateCatchEvent id="Wait"><bpmn:messageEventDefinition id="Def_Poke" messageRef="Message_Poke" /></bpmn:intermediateCatchEvent>
           <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="End" /><bpmn:endEvent id="End" />`,
          '',
          '<bpmn:message id="Message_Poke" name="outbox-demo.poke"><bpmn:extensionElements><zeebe:subscription correlationKey="=businessKey" /></bpmn:extensionElements></bpmn:message>',
        ),
      ),
    });
    await client.close();

    // The commit happens, then the process dies before its dispatcher could deliver anything.
    const answer = await fetch(`${platform.baseUrl}/api/outbox-demo/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'crash-1', n: 7, email: 'crash@example.com', process: id, crash: true }),
    }).then(
      (r) => r.status,
      () => 'killed',
    );
    expect(answer).toBe('killed');
    await new Promise((resolve) => (platform!.child.exitCode !== null || platform!.child.signalCode ? resolve(null) : platform!.child.once('exit', resolve)));

    reader = openDatabase(db);
    expect(await reader('fixture_acts').where({ key: 'crash-1' })).toHaveLength(1);
    const written = await reader('channelflow_outbox_effects').orderBy('id').select('kind', 'state');
    expect(written).toEqual([
      { kind: 'process', state: 'pending' },
      { kind: 'message', state: 'pending' },
      { kind: 'email', state: 'pending' },
      { kind: 'event', state: 'pending' },
    ]);
    expect(await reader('wf_process_instances').where({ bpmn_process_id: id })).toHaveLength(0);
    expect(received()).toEqual([]);

    platform = await startChildPlatform(env);
    await eventually(
      async () => {
        const [{ n }] = await reader!('channelflow_outbox_effects').whereNot({ state: 'delivered' }).count({ n: '*' });
        if (Number(n)) throw new Error(`${n} effects not delivered yet`);
      },
      { timeoutMs: 30_000 },
    );
    const assertOnce = async () => {
      const instances = await reader!('wf_process_instances').where({ bpmn_process_id: id, business_key: 'crash-1' });
      expect(instances).toHaveLength(1);
      // The message reached it: it waited on it and completed.
      await eventually(async () => expect((await reader!('wf_process_instances').where({ key: instances[0].key }).first()).state).toBe('COMPLETED'));
      expect(received().filter((to) => to === 'crash@example.com')).toHaveLength(1);
      expect(await reader!('fixture_event_effects').where({ event_id: 'thing:crash-1' }).select('handler', 'runs')).toEqual([{ handler: 'counter', runs: 1 }]);
    };
    await assertOnce();

    // A dispatcher killed after delivering but before recording it leaves each effect pending with an
    // attempt counted (once its lease ran out): delivered again, each effect must still happen once.
    await reader('channelflow_outbox_effects').update({ state: 'pending', attempts: 1, next_attempt_at: 0, lease_until: null, leased_by: null });
    await eventually(
      async () => {
        const [{ n }] = await reader!('channelflow_outbox_effects').whereNot({ state: 'delivered' }).count({ n: '*' });
        if (Number(n)) throw new Error(`${n} effects not delivered again yet`);
      },
      { timeoutMs: 30_000 },
    );
    await assertOnce();
    const started = await reader('channelflow_outbox_effects').where({ kind: 'process' }).first();
    expect(JSON.parse(started.result)).toMatchObject({ redelivered: true });
    const message = await reader('channelflow_outbox_effects').where({ kind: 'message' }).first();
    expect(JSON.parse(message.result)).toEqual({ alreadyPublished: true });
  }, 120_000);
});
