import type { Knex } from 'knex';

/**
 * Every signing key this server has used, so a replaced key keeps being published in
 * old_verify_keys (server-server-api "Publishing Keys") and old events stay verifiable.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('local_signing_keys', (table) => {
    table.string('key_id', 255).primary();
    table.string('public_key', 64).notNullable();
    table.bigInteger('first_used_ts').notNullable();
    table.bigInteger('expired_ts').nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('local_signing_keys');
}
