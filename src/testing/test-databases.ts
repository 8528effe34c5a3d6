/**
 * Fresh databases for tests: a new SQLite file, or a new PostgreSQL database created on the server
 * TEST_POSTGRES_URL points at (dropped again afterwards). Storage tests run on every engine this
 * machine offers through forEachDatabase.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseEngine, DatabaseOptions } from '../storage/database.ts';

export interface TestDatabase {
  options: DatabaseOptions;
  drop(): Promise<void>;
}

export const postgresAdminUrl = process.env.TEST_POSTGRES_URL || undefined;

/** The engines tests run on here: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set. */
export const testEngines: DatabaseEngine[] = postgresAdminUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export async function createTestDatabase(engine: DatabaseEngine): Promise<TestDatabase> {
  return engine === 'postgres' ? createPostgresDatabase() : createSqliteDatabase();
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-db-'));
  return { options: { engine: 'sqlite', path: join(dir, 'homeserver.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  if (!postgresAdminUrl) throw new Error('TEST_POSTGRES_URL is not set');
  const name = `lattice_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    options: { engine: 'postgres', url: url.toString() },
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Declares `body` once per engine, each with a fresh database made before and dropped after the block.
 * `database()` gives the options of the current block's database.
 */
export function forEachDatabase(body: (database: () => DatabaseOptions, engine: DatabaseEngine) => void): void {
  for (const engine of testEngines) {
    describe(`on ${engine}`, function () {
      let current: TestDatabase | undefined;
      before(async function () {
        current = await createTestDatabase(engine);
      });
      after(async function () {
        await current?.drop();
      });
      body(() => {
        if (!current) throw new Error('the test database is created in a before() hook; use it inside tests');
        return current.options;
      }, engine);
    });
  }
}
