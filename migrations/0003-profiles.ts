import type { Knex } from 'knex';

/** client-server-api "Profiles": one row per field, values as JSON (v1.16 custom fields). */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('profile_fields', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.string('field', 255).notNullable();
    table.text('value_json').notNullable();
    table.primary(['user_id', 'field']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('profile_fields');
}
