/**
 * Opens the database: the embedded SQLite default or PostgreSQL, behind one knex interface so the rest
 * of storage/ writes each query once.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import knex, { type Knex } from 'knex';
import { SqliteClient } from './sqlite-client.ts';

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
    // One writer connection serialises writes without lock contention.
    pool: { min: 1, max: 1 },
  });
}

/**
 * Query options (`builder.options(resultIgnored)`) for a write whose result its caller does not read:
 * in a SQLite transaction it may wait to go to the writer thread with the transaction's next statement
 * (sqlite-client.ts), so its count of changed rows is NaN. An error in it fails the transaction.
 */
export const resultIgnored = { resultIgnored: true };

export function engineOf(db: Database): DatabaseEngine {
  return db.client.config.client === 'pg' ? 'postgres' : 'sqlite';
}
