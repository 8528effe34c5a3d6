import type { Knex } from 'knex';

/**
 * The federation outbox (DESIGN "Federation"): per destination server, the local events it has not
 * acknowledged yet, written in the transaction that persists each event, so an event acknowledged to
 * its sender reaches the other servers of its room even across a crash or a destination that is down
 * for days (server-server-api "Transactions"). A row is deleted once the destination accepted the
 * transaction carrying it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('federation_outbox', (table) => {
    table.string('destination', 255).notNullable();
    table.bigInteger('stream_position').notNullable();
    table.string('event_id', 255).notNullable();
    table.primary(['destination', 'stream_position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('federation_outbox');
}
