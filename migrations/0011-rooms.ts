import type { Knex } from 'knex';

/**
 * Rooms and their events (the room DAG). Events are stored as received (the signed PDU) with the
 * columns queries need. Room state is kept as shared snapshots ("state groups"): a group is a delta
 * against a parent group, with the chain kept short, so events with the same state share one group
 * and a large room's state is not copied per event. Each room's current state is also materialised.
 * Lock order when a writer needs several: rooms row, then events, then state.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('rooms', (table) => {
    table.string('room_id', 255).primary();
    table.string('room_version', 32).notNullable();
    table.string('creator', 255).nullable();
    table.boolean('is_public').notNullable().defaultTo(false);
    table.bigInteger('created_ts').notNullable();
    // The snapshot of the room's current state (the materialised current_state rows equal it).
    table.bigInteger('current_state_group').nullable();
    // The current join rule, for the user directory's "users in public rooms".
    table.string('join_rule', 32).nullable();
  });
  await db.schema.createTable('events', (table) => {
    table.string('event_id', 255).primary();
    table.string('room_id', 255).notNullable();
    table.string('type', 255).notNullable();
    table.string('state_key', 255).nullable();
    table.string('sender', 255).notNullable();
    table.bigInteger('depth').notNullable();
    table.bigInteger('origin_server_ts').notNullable();
    // Position on the events stream (the local order of the timeline); null for outliers.
    table.bigInteger('stream_position').nullable().unique();
    table.text('pdu_json').notNullable();
    table.boolean('outlier').notNullable();
    table.string('rejected_reason', 255).nullable();
    table.boolean('soft_failed').notNullable().defaultTo(false);
    table.bigInteger('state_before_group').nullable();
    table.bigInteger('state_after_group').nullable();
    table.index(['room_id', 'stream_position']);
    table.index(['room_id', 'depth']);
  });
  await db.schema.createTable('event_edges', (table) => {
    table.string('event_id', 255).notNullable();
    table.string('prev_event_id', 255).notNullable();
    table.primary(['event_id', 'prev_event_id']);
    table.index(['prev_event_id']);
  });
  await db.schema.createTable('event_auth', (table) => {
    table.string('event_id', 255).notNullable();
    table.string('auth_event_id', 255).notNullable();
    table.primary(['event_id', 'auth_event_id']);
  });
  await db.schema.createTable('forward_extremities', (table) => {
    table.string('room_id', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.primary(['room_id', 'event_id']);
  });
  await db.schema.createTable('state_groups', (table) => {
    table.bigIncrements('id').primary();
    table.string('room_id', 255).notNullable();
    table.bigInteger('prev_group').nullable();
    table.integer('chain_length').notNullable();
  });
  await db.schema.createTable('state_group_deltas', (table) => {
    table.bigInteger('group_id').notNullable();
    table.string('type', 255).notNullable();
    table.string('state_key', 255).notNullable();
    // null: the delta removes this entry from the parent's state.
    table.string('event_id', 255).nullable();
    table.primary(['group_id', 'type', 'state_key']);
  });
  await db.schema.createTable('room_aliases', (table) => {
    table.string('room_alias', 255).primary();
    table.string('room_id', 255).notNullable();
    table.string('creator', 255).notNullable();
    table.index(['room_id']);
  });
  // The transaction ID a local device sent an event with, for `unsigned.transaction_id` on its echo.
  await db.schema.createTable('event_transaction_ids', (table) => {
    table.string('event_id', 255).primary();
    table.string('user_id', 255).notNullable();
    table.string('device_id', 255).notNullable();
    table.string('txn_id', 255).notNullable();
  });
  // Which events a redaction redacts (an event may be redacted more than once).
  await db.schema.createTable('event_redactions', (table) => {
    table.string('redacts', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.primary(['redacts', 'event_id']);
  });
  // Rooms a user left and then forgot: no longer listed in their /sync leave section.
  await db.schema.createTable('forgotten_rooms', (table) => {
    table.string('user_id', 255).notNullable();
    table.string('room_id', 255).notNullable();
    table.primary(['user_id', 'room_id']);
  });
  await db.schema.createTable('current_state', (table) => {
    table.string('room_id', 255).notNullable();
    table.string('type', 255).notNullable();
    table.string('state_key', 255).notNullable();
    table.string('event_id', 255).notNullable();
    // For m.room.member: the membership, so "rooms a user is in" is one indexed query.
    table.string('membership', 32).nullable();
    table.primary(['room_id', 'type', 'state_key']);
    table.index(['type', 'state_key', 'membership']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['current_state', 'event_redactions', 'forgotten_rooms', 'event_transaction_ids', 'room_aliases', 'state_group_deltas', 'state_groups', 'forward_extremities', 'event_auth', 'event_edges', 'events', 'rooms']) {
    await db.schema.dropTable(table);
  }
}
