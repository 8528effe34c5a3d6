/**
 * Room state snapshots (tables state_groups, state_group_deltas). A group stores only its difference
 * from a parent group; after maxChainLength deltas a full snapshot starts a new chain, so reading any
 * group costs one recursive query over a bounded number of rows.
 */
import { resultIgnored, type Database } from '../database.ts';

/** A state map: `${type}\u0000${state_key}` → event ID (the key format of core/events/pdu.ts StateKey). */
export type StateEntries = ReadonlyMap<string, string>;

const maxChainLength = 50;

interface DeltaRow {
  type: string;
  state_key: string;
  event_id: string | null;
  depth: number;
}

const keyOf = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;
const splitKey = (key: string) => {
  const separator = key.indexOf('\u0000');
  return { type: key.slice(0, separator), state_key: key.slice(separator + 1) };
};

export class StateGroupRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores `state` as a new group: a delta against `parent` (whose full state the caller passes, as it
   * has it at hand) while the parent's chain is short, otherwise a full snapshot.
   */
  async create(roomId: string, state: StateEntries, parent?: { id: number; state: StateEntries }): Promise<number> {
    const parentChain = parent ? await this.chainLength(parent.id) : undefined;
    const asDelta = parent !== undefined && parentChain !== undefined && parentChain < maxChainLength;
    const [row] = await this.db('state_groups')
      .insert({ room_id: roomId, prev_group: asDelta ? parent.id : null, chain_length: asDelta ? parentChain + 1 : 0 })
      .returning('id');
    const groupId = Number((row as { id: number | string }).id);
    const rows: Array<{ group_id: number; type: string; state_key: string; event_id: string | null }> = [];
    for (const [key, eventId] of state) {
      if (!asDelta || parent.state.get(key) !== eventId) rows.push({ group_id: groupId, ...splitKey(key), event_id: eventId });
    }
    if (asDelta) for (const key of parent.state.keys()) if (!state.has(key)) rows.push({ group_id: groupId, ...splitKey(key), event_id: null });
    // Chunked: SQLite limits the number of bound parameters per statement.
    for (let i = 0; i < rows.length; i += 500) await this.db('state_group_deltas').insert(rows.slice(i, i + 500)).options(resultIgnored);
    return groupId;
  }

  /** The full state of a group: its chain's deltas applied from the snapshot at its base. */
  async state(groupId: number): Promise<Map<string, string>> {
    const rows: DeltaRow[] = await this.chainDeltas(groupId)
      .select('d.type', 'd.state_key', 'd.event_id', 'c.depth')
      .orderBy('c.depth', 'desc');
    const state = new Map<string, string>();
    for (const row of rows) {
      const key = keyOf(row.type, row.state_key);
      if (row.event_id === null) state.delete(key);
      else state.set(key, row.event_id);
    }
    return state;
  }

  private async chainLength(groupId: number): Promise<number | undefined> {
    const row = await this.db('state_groups').where('id', groupId).first('chain_length');
    return row === undefined ? undefined : Number((row as { chain_length: number }).chain_length);
  }

  /** The event of one state key in a group (null when the group removes it, undefined when it has none): the nearest delta along its chain. */
  async eventIdAt(groupId: number, type: string, stateKey: string): Promise<string | null | undefined> {
    const row = (await this.chainDeltas(groupId).select('d.event_id').where({ 'd.type': type, 'd.state_key': stateKey }).orderBy('c.depth', 'asc').first()) as { event_id: string | null } | undefined;
    return row?.event_id;
  }

  /** The deltas of a group and its ancestors (`d`), each with its distance from the group (`c.depth`). */
  private chainDeltas(groupId: number) {
    return this.db
      .withRecursive('chain', ['id', 'prev_group', 'depth'], (chain) =>
        chain
          .select('id', 'prev_group', this.db.raw('0'))
          .from('state_groups')
          .where('id', groupId)
          .unionAll((step) => step.select('g.id', 'g.prev_group', this.db.raw('c.depth + 1')).from('state_groups as g').join('chain as c', 'g.id', 'c.prev_group')),
      )
      .from('chain as c')
      .join('state_group_deltas as d', 'd.group_id', 'c.id');
  }
}
