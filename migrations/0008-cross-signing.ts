import type { Knex } from 'knex';

/**
 * Cross-signing (client-server-api "Cross-signing"): each user's master, self-signing and
 * user-signing keys, and the signatures users upload for devices and keys. A signature is stored
 * apart from the key it signs, so a key re-upload never loses them and visibility can be filtered.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('cross_signing_keys', (table) => {
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.string('usage', 16).notNullable();
    table.string('public_key', 128).notNullable();
    table.text('key_json').notNullable();
    table.primary(['user_id', 'usage']);
  });
  await db.schema.createTable('key_signatures', (table) => {
    // The signed key: a device ID, or the unpadded base64 public key of a cross-signing key.
    table.string('target_user_id', 255).notNullable();
    table.string('target_key_id', 255).notNullable();
    table.string('signer_user_id', 255).notNullable();
    table.string('signer_key_id', 255).notNullable();
    table.string('signature', 255).notNullable();
    table.primary(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('key_signatures');
  await db.schema.dropTable('cross_signing_keys');
}
