import type { Knex } from 'knex';

/** client-server-api "Filtering": filters uploaded for later /sync requests, numbered per user. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('filters', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.integer('filter_id').notNullable();
    table.text('filter_json').notNullable();
    table.primary(['user_id', 'filter_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('filters');
}
