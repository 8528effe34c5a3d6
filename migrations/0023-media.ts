import type { Knex } from 'knex';

/**
 * The content repository (client-server-api "Content repository"): one row per mxc:// URI this server
 * knows, uploaded here or cached from another server, and the thumbnails made of them. The bytes live
 * in files under media_store_path named by their SHA-256, so uploads of the same bytes share a file.
 *
 * A row created by POST /media/v1/create has no content yet (media_length null) until its upload, and
 * is a pending upload only until unused_expires_ts.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('media', (table) => {
    table.string('media_origin', 255).notNullable();
    table.string('media_id', 255).notNullable();
    // The local uploader; null for media cached from another server.
    table.string('user_id', 255);
    table.string('content_type', 255);
    table.text('upload_name');
    table.bigInteger('media_length');
    table.string('sha256', 64);
    // When this server got the bytes (uploaded or cached): what an unauthenticated media freeze looks at.
    table.bigInteger('created_ts').notNullable();
    table.bigInteger('unused_expires_ts');
    table.boolean('quarantined').notNullable().defaultTo(false);
    table.primary(['media_origin', 'media_id']);
    table.index(['user_id']);
  });
  await db.schema.createTable('media_thumbnails', (table) => {
    table.string('media_origin', 255).notNullable();
    table.string('media_id', 255).notNullable();
    // The size asked of the generator (a spec default size or the client's), not the thumbnail's own.
    table.integer('requested_width').notNullable();
    table.integer('requested_height').notNullable();
    table.string('method', 8).notNullable();
    table.string('content_type', 255).notNullable();
    table.integer('width').notNullable();
    table.integer('height').notNullable();
    table.bigInteger('media_length').notNullable();
    table.string('sha256', 64).notNullable();
    table.primary(['media_origin', 'media_id', 'requested_width', 'requested_height', 'method', 'content_type']);
    table.foreign(['media_origin', 'media_id']).references(['media_origin', 'media_id']).inTable('media').onDelete('CASCADE');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('media_thumbnails');
  await db.schema.dropTable('media');
}
