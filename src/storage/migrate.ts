/** Applies the one migration history in migrations/ to either engine. */
import type { Knex } from 'knex';
import { migrations, type Migration } from '../../migrations/index.ts';
import type { Database } from './database.ts';

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

const options: Knex.MigratorConfig = { migrationSource: source, tableName: 'schema_migrations' };

/** Applies pending migrations; returns the names applied now. */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(options)) as [number, string[]];
  return applied;
}

/** Reverts every applied migration, newest first (used by tests and by operators downgrading). */
export async function migrateDownAll(db: Database): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(options, true)) as [number, string[]];
  return reverted;
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  const [, pending] = (await db.migrate.list(options)) as [unknown[], Array<{ file: string } | Migration>];
  return pending.map((m) => ('file' in m ? m.file : m.name));
}
