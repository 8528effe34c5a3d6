import type { Knex } from 'knex';

/**
 * Pushers (client-server-api "Push notifications", pusher.yaml): where to deliver a user's
 * notifications. One per (app_id, pushkey, user); without `append`, a pushkey belongs to one user.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('pushers', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('app_id', 255).notNullable();
    table.string('pushkey', 512).notNullable();
    table.string('kind', 32).notNullable();
    table.text('app_display_name').notNullable();
    table.text('device_display_name').notNullable();
    table.string('profile_tag', 255).nullable();
    table.string('lang', 64).notNullable();
    table.text('data_json').notNullable();
    table.bigInteger('created_ts').notNullable();
    table.primary(['app_id', 'pushkey', 'user_id']);
    table.index(['user_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('pushers');
}
