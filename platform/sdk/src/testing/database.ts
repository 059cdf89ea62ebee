import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type DatabaseClient = 'sqlite' | 'postgres';

export interface ThrowAwayDatabase {
  client: DatabaseClient;
  name: string;
  /** Environment variables that point the platform's config/database.ts at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** `DB=postgres` switches every e2e file to PostgreSQL (a fresh database per file). */
export function requestedDatabase(): DatabaseClient {
  const wanted = (process.env.DB ?? 'sqlite').toLowerCase();
  if (wanted !== 'sqlite' && wanted !== 'postgres') throw new Error(`DB must be sqlite or postgres, got "${wanted}"`);
  return wanted;
}

export async function createThrowAwayDatabase(client: DatabaseClient): Promise<ThrowAwayDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (client === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'channelflow-test-'));
    const filename = path.join(dir, 'data.db');
    return {
      client,
      name: filename,
      env: { DATABASE_CLIENT: 'sqlite', DATABASE_FILENAME: filename, DATABASE_URL: '' },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // CI names its run, so its clean-up drops only databases this run made.
  const run = (process.env.CHANNELFLOW_TEST_RUN ?? '').replace(/[^a-z0-9_]/gi, '').toLowerCase();
  const name = `channelflow_test_${run ? `${run}_` : ''}${suffix}`;
  const { Client } = await import('pg');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    client,
    name,
    env: { DATABASE_CLIENT: 'postgres', DATABASE_URL: url.toString() },
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
