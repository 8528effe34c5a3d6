import type { Knex } from 'knex';

/**
 * Accounts (client-server-api "Account registration and management", "Login", "Device management",
 * "User-Interactive Authentication API"): users, their devices, the access tokens that log a device
 * in (stored as SHA-256 hashes, never in clear) and UIA sessions, which outlive a single request.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('users', (table) => {
    table.string('user_id', 255).primary();
    table.text('password_hash').nullable();
    table.boolean('is_admin').notNullable().defaultTo(false);
    table.string('kind', 16).notNullable().defaultTo('user');
    table.bigInteger('created_ts').notNullable();
    table.bigInteger('deactivated_ts').nullable();
  });
  await db.schema.createTable('devices', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.string('device_id', 255).notNullable();
    table.text('display_name').nullable();
    table.bigInteger('created_ts').notNullable();
    table.bigInteger('last_seen_ts').nullable();
    table.string('last_seen_ip', 64).nullable();
    table.primary(['user_id', 'device_id']);
  });
  await db.schema.createTable('access_tokens', (table) => {
    table.increments('id').primary();
    table.string('token_hash', 64).notNullable().unique();
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.bigInteger('created_ts').notNullable();
    table.bigInteger('expires_ts').nullable();
    table.foreign(['user_id', 'device_id']).references(['user_id', 'device_id']).inTable('devices').onDelete('CASCADE');
    table.index(['user_id', 'device_id']);
  });
  await db.schema.createTable('ui_auth_sessions', (table) => {
    table.string('session_id', 64).primary();
    table.string('user_id', 255).nullable();
    table.text('request_fingerprint').notNullable();
    table.text('completed_stages').notNullable();
    table.bigInteger('created_ts').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('ui_auth_sessions');
  await db.schema.dropTable('access_tokens');
  await db.schema.dropTable('devices');
  await db.schema.dropTable('users');
}
