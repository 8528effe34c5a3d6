import type { Knex } from 'knex';

/**
 * Server-side key backups (client-server-api "Server-side key backups"): backup versions per user,
 * of which only the newest takes keys, and the encrypted session keys in them. The etag changes
 * whenever the keys of a version change, so clients notice new keys.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('room_key_backup_versions', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.integer('version').notNullable();
    table.string('algorithm', 255).notNullable();
    table.text('auth_data_json').notNullable();
    table.integer('etag').notNullable();
    table.boolean('deleted').notNullable();
    table.primary(['user_id', 'version']);
  });
  await db.schema.createTable('room_key_backup_keys', (table) => {
    table.string('user_id', 255).notNullable();
    table.integer('version').notNullable();
    table.string('room_id', 255).notNullable();
    table.string('session_id', 255).notNullable();
    table.integer('first_message_index').notNullable();
    table.integer('forwarded_count').notNullable();
    table.boolean('is_verified').notNullable();
    table.text('session_data_json').notNullable();
    table.primary(['user_id', 'version', 'room_id', 'session_id']);
    table.foreign(['user_id', 'version']).references(['user_id', 'version']).inTable('room_key_backup_versions').onDelete('CASCADE');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('room_key_backup_keys');
  await db.schema.dropTable('room_key_backup_versions');
}
