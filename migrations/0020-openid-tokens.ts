import type { Knex } from 'knex';

/**
 * OpenID tokens (client-server-api "OpenID", server-server-api "OpenID"): tokens a user hands to a
 * third-party service, which exchanges them at /_matrix/federation/v1/openid/userinfo for the user's
 * ID. Good only for that, until they expire; stored as SHA-256 hashes like access tokens.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('openid_tokens', (table) => {
    table.string('token_hash', 64).primary();
    table.string('user_id', 255).notNullable().references('user_id').inTable('users').onDelete('CASCADE');
    table.bigInteger('expires_ts').notNullable();
    table.index(['expires_ts']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('openid_tokens');
}
