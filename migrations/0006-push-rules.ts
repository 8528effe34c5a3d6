import type { Knex } from 'knex';

/**
 * Push rules (client-server-api "Push Rules: API"): the user's own rules, ordered by priority within
 * their kind, and the user's changes to server-default rules (enabled, actions), which are otherwise
 * taken from the spec's definitions at read time so new defaults reach every user.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('push_rules', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.string('kind', 16).notNullable();
    table.string('rule_id', 255).notNullable();
    table.integer('priority').notNullable();
    table.text('conditions_json').nullable();
    table.text('actions_json').notNullable();
    table.text('pattern').nullable();
    table.boolean('enabled').notNullable();
    table.primary(['user_id', 'kind', 'rule_id']);
  });
  await db.schema.createTable('push_rule_defaults', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.string('rule_id', 255).notNullable();
    table.boolean('enabled').nullable();
    table.text('actions_json').nullable();
    table.primary(['user_id', 'rule_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('push_rule_defaults');
  await db.schema.dropTable('push_rules');
}
