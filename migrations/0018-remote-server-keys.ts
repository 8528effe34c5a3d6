import type { Knex } from 'knex';

/**
 * Other servers' verified signing keys (server-server-api "Retrieving server keys"): one row per key,
 * with the self-signed key response it came from, kept to check old signatures and to answer as a
 * notary ("Querying Keys Through Another Server").
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('remote_server_keys', (table) => {
    table.string('server_name', 255).notNullable();
    table.string('key_id', 255).notNullable();
    table.string('verify_key', 64).notNullable();
    // valid_until_ts of the key response the row came from (for every key, current or old).
    table.bigInteger('valid_until_ts').notNullable();
    // Set for a key listed under old_verify_keys: it signs nothing from this time on.
    table.bigInteger('expired_ts').nullable();
    table.bigInteger('fetched_ts').notNullable();
    // The key response as its server signed it (other servers' signatures removed).
    table.text('key_json').notNullable();
    table.primary(['server_name', 'key_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('remote_server_keys');
}
