import type { Knex } from 'knex';

/**
 * EDUs that must survive a restart (server-server-api "Send-to-device messaging", "Device
 * Management"): to-device messages and device list updates for other servers, written before the
 * request that caused them is answered and deleted once the destination accepted the transaction
 * carrying them. Typing, receipts and presence stay in memory: a newer one supersedes them.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('federation_edu_outbox', (table) => {
    table.bigIncrements('id').primary();
    table.string('destination', 255).notNullable();
    table.text('edu_json').notNullable();
    table.index(['destination', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('federation_edu_outbox');
}
