import type { Knex } from 'knex';

/**
 * The device that registered each pusher, so that logging the device out (or deleting it, or
 * deactivating the account) stops its pushes, as Synapse does: a phone that signed out must not keep
 * showing the user's messages. Pushers registered before this migration have none; they go with the
 * account only.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('pushers', (table) => {
    table.string('device_id', 255).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('pushers', (table) => {
    table.dropColumn('device_id');
  });
}
