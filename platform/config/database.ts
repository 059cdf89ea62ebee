import path from 'node:path';

// SQLite file by default (one machine, nothing to install); PostgreSQL when DATABASE_URL is set.
export default ({ env }: { env: any }) => {
  const url: string = env('DATABASE_URL', '');
  if (url) {
    return {
      connection: {
        client: 'postgres',
        connection: {
          connectionString: url,
          ssl: env.bool('DATABASE_SSL', false) ? { rejectUnauthorized: env.bool('DATABASE_SSL_REJECT_UNAUTHORIZED', true) } : false,
        },
        pool: { min: env.int('DATABASE_POOL_MIN', 0), max: env.int('DATABASE_POOL_MAX', 10) },
        acquireConnectionTimeout: env.int('DATABASE_CONNECTION_TIMEOUT', 60000),
      },
    };
  }
  return {
    connection: {
      client: 'sqlite',
      connection: {
        filename: path.resolve(__dirname, '..', '..', env('DATABASE_FILENAME', '.tmp/data.db')),
      },
      useNullAsDefault: true,
      pool: {
        // WAL lets readers run beside the writer, and synchronous=NORMAL syncs at checkpoints
        // instead of every commit: a killed process loses nothing committed (only a power cut
        // could lose the last commits). busy_timeout rides out a checkpoint instead of failing.
        afterCreate: (connection: any, done: (error: Error | null, connection: any) => void) => {
          try {
            connection.pragma('journal_mode = WAL');
            connection.pragma('synchronous = NORMAL');
            connection.pragma('busy_timeout = 5000');
            cachePreparedStatements(connection);
            done(null, connection);
          } catch (error) {
            done(error as Error, connection);
          }
        },
      },
    },
  };
};

/**
 * knex prepares every statement anew; the workflow engine repeats a few dozen statements
 * thousands of times a second. Reusing prepared statements (bounded, least recently used
 * first out) removes that cost for every query. better-sqlite3 re-prepares a statement itself
 * if the schema changed under it.
 */
function cachePreparedStatements(connection: { prepare(sql: string): unknown }, limit = 500): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, unknown>();
  connection.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql);
    } else {
      statement = prepare(sql);
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  };
}
