import type { Knex } from 'knex';

/**
 * Refresh tokens (client-server-api "Refreshing access tokens") and registration tokens
 * ("Token-authenticated registration").
 *
 * A refresh token belongs to a device, like an access token, and is stored as a SHA-256 hash. When it
 * is exchanged, the new refresh token is recorded as its `next_token_id`; the old one stays usable
 * until the new access token or refresh token is first used, then it is deleted, and with it (by the
 * foreign key) the access token issued beside it. `used` marks an access token already used once, so
 * only its first use costs a write.
 *
 * A registration token is consumed when a registration completes (`completed`); while a UIA session
 * holds a token it is pending, one row in registration_token_reservations per session, so pending uses
 * disappear by themselves when their session ends or expires.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('refresh_tokens', (table) => {
    table.increments('id').primary();
    table.string('token_hash', 64).notNullable().unique();
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.bigInteger('created_ts').notNullable();
    table.bigInteger('expires_ts').nullable();
    table.integer('next_token_id').nullable().references('id').inTable('refresh_tokens').onDelete('SET NULL');
    table.foreign(['user_id', 'device_id']).references(['user_id', 'device_id']).inTable('devices').onDelete('CASCADE');
    table.index(['user_id', 'device_id']);
    table.index(['next_token_id']);
  });
  await db.schema.alterTable('access_tokens', (table) => {
    table.integer('refresh_token_id').nullable().references('id').inTable('refresh_tokens').onDelete('CASCADE');
    table.boolean('used').notNullable().defaultTo(false);
    table.index(['refresh_token_id']);
  });
  await db.schema.createTable('registration_tokens', (table) => {
    table.string('token', 64).primary();
    table.integer('uses_allowed').nullable();
    table.integer('completed').notNullable().defaultTo(0);
    table.bigInteger('expiry_time').nullable();
    table.bigInteger('created_ts').notNullable();
  });
  await db.schema.createTable('registration_token_reservations', (table) => {
    table.string('session_id', 64).primary();
    table.string('token', 64).notNullable().references('token').inTable('registration_tokens').onDelete('CASCADE');
    table.bigInteger('created_ts').notNullable();
    table.index(['token']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('registration_token_reservations');
  await db.schema.dropTable('registration_tokens');
  await db.schema.alterTable('access_tokens', (table) => {
    table.dropIndex(['refresh_token_id']);
    table.dropForeign(['refresh_token_id']);
    table.dropColumn('refresh_token_id');
    table.dropColumn('used');
  });
  await db.schema.dropTable('refresh_tokens');
}
