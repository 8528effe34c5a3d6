/**
 * Opens the database: the embedded SQLite default or PostgreSQL, behind one knex interface so the rest
 * of storage/ writes each query once.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import knex, { type Knex } from 'knex';
import { prepareConnection, SqliteClient, writerPragmas, type SqliteConnection } from './sqlite-client.ts';

export type Database = Knex;
export type DatabaseOptions = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };
export type DatabaseEngine = DatabaseOptions['engine'];

// PostgreSQL's driver is loaded only for a PostgreSQL database (an embedded server does without it).
const require = createRequire(import.meta.url);

export function openDatabase(config: DatabaseOptions): Database {
  if (config.engine === 'postgres') {
    const pg = require('pg') as typeof import('pg');
    // Our 64-bit columns hold timestamps and stream positions, all far below 2^53: read them as numbers.
    pg.types.setTypeParser(pg.types.builtins.INT8, Number);
    return knex({ client: 'pg', connection: config.url, pool: { min: 0, max: 10 } });
  }
  mkdirSync(dirname(config.path), { recursive: true });
  return knex({
    // better-sqlite3, with a reader connection beside the one writer (see sqlite-client.ts).
    client: SqliteClient as unknown as typeof Knex.Client,
    connection: { filename: config.path },
    useNullAsDefault: true,
    // better-sqlite3 is synchronous: one writer connection serialises writes without lock contention.
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) {
        try {
          // WAL lets readers run beside the writer; the client fsyncs each commit off the main thread.
          prepareConnection(connection, writerPragmas);
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
  });
}

export function engineOf(db: Database): DatabaseEngine {
  return db.client.config.client === 'pg' ? 'postgres' : 'sqlite';
}
