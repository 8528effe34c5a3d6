/** Pushers (table pushers), with where each one's delivery stands. */
import type { Database } from '../database.ts';

/** A pusher is named by its user, app ID and pushkey. */
export interface PusherKey {
  userId: string;
  appId: string;
  pushkey: string;
}

export interface PusherRecord extends PusherKey {
  kind: string;
  /** The device that registered it (null for pushers from before devices were recorded). */
  deviceId: string | null;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
  createdTs: number;
  /** The events stream position delivery has dealt with (sent, skipped or given up on) up to. */
  lastStreamPosition: number;
  lastSuccessTs: number | null;
  /** Since when delivery has been failing; null while it works. */
  failingSinceTs: number | null;
}

interface Row {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  device_id: string | null;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  data_json: string;
  created_ts: number;
  last_stream_position: number;
  last_success_ts: number | null;
  failing_since_ts: number | null;
}

const toRecord = (row: Row): PusherRecord => ({
  userId: row.user_id,
  appId: row.app_id,
  pushkey: row.pushkey,
  kind: row.kind,
  deviceId: row.device_id,
  appDisplayName: row.app_display_name,
  deviceDisplayName: row.device_display_name,
  profileTag: row.profile_tag,
  lang: row.lang,
  data: JSON.parse(row.data_json) as Record<string, unknown>,
  createdTs: Number(row.created_ts),
  lastStreamPosition: Number(row.last_stream_position),
  lastSuccessTs: row.last_success_ts === null ? null : Number(row.last_success_ts),
  failingSinceTs: row.failing_since_ts === null ? null : Number(row.failing_since_ts),
});

const whereKey = ({ userId, appId, pushkey }: PusherKey) => ({ user_id: userId, app_id: appId, pushkey });

export class PusherRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores the pusher, its delivery starting over after `lastStreamPosition`; without `append`, other
   * users' pushers with the same app ID and pushkey go. Returns the users whose pushers went.
   */
  async set(pusher: Omit<PusherRecord, 'lastSuccessTs' | 'failingSinceTs'>, append: boolean): Promise<string[]> {
    let displaced: string[] = [];
    if (!append) {
      const others = this.db<Row>('pushers').where({ app_id: pusher.appId, pushkey: pusher.pushkey }).whereNot('user_id', pusher.userId);
      displaced = (await others.clone().select('user_id')).map((row) => row.user_id);
      if (displaced.length > 0) await others.delete();
    }
    await this.db<Row>('pushers')
      .insert({
        user_id: pusher.userId,
        app_id: pusher.appId,
        pushkey: pusher.pushkey,
        kind: pusher.kind,
        device_id: pusher.deviceId,
        app_display_name: pusher.appDisplayName,
        device_display_name: pusher.deviceDisplayName,
        profile_tag: pusher.profileTag,
        lang: pusher.lang,
        data_json: JSON.stringify(pusher.data),
        created_ts: pusher.createdTs,
        last_stream_position: pusher.lastStreamPosition,
        failing_since_ts: null,
      })
      .onConflict(['app_id', 'pushkey', 'user_id'])
      .merge(['kind', 'device_id', 'app_display_name', 'device_display_name', 'profile_tag', 'lang', 'data_json', 'last_stream_position', 'failing_since_ts']);
    return displaced;
  }

  async delete(userId: string, appId: string, pushkey: string): Promise<void> {
    await this.db('pushers').where({ user_id: userId, app_id: appId, pushkey }).delete();
  }

  /**
   * Deletes the user's pushers registered by `devices` ('all': every pusher of the user; { except }:
   * those of the user's other devices). Returns those deleted.
   */
  async deleteOfDevices(userId: string, devices: readonly string[] | 'all' | { except: string }): Promise<PusherKey[]> {
    const query = this.db<Row>('pushers').where('user_id', userId);
    // (With { except }, pushers of no known device stay: no device of theirs is being removed.)
    if (devices !== 'all') {
      if ('except' in devices) query.whereNot('device_id', devices.except);
      else query.whereIn('device_id', [...devices]);
    }
    const rows = await query.clone().select('app_id', 'pushkey');
    if (rows.length > 0) await query.delete();
    return rows.map((row) => ({ userId, appId: row.app_id, pushkey: row.pushkey }));
  }

  async get(key: PusherKey): Promise<PusherRecord | undefined> {
    const row = await this.db<Row>('pushers').where(whereKey(key)).first();
    return row ? toRecord(row) : undefined;
  }

  async ofUser(userId: string): Promise<PusherRecord[]> {
    return (await this.db<Row>('pushers').where('user_id', userId).orderBy(['app_id', 'pushkey'])).map(toRecord);
  }

  async ofKind(kind: string): Promise<PusherRecord[]> {
    return (await this.db<Row>('pushers').where('kind', kind)).map(toRecord);
  }

  /**
   * Records delivery progress: the position dealt with (never moved back) and, after a success, its
   * time. Returns false when the pusher is gone (deleted meanwhile).
   */
  async recordProgress(key: PusherKey, progress: { lastStreamPosition: number; lastSuccessTs?: number; failingSinceTs: number | null }): Promise<boolean> {
    const updated = await this.db<Row>('pushers')
      .where(whereKey(key))
      .update({
        last_stream_position: this.db.raw('CASE WHEN last_stream_position > ? THEN last_stream_position ELSE ? END', [progress.lastStreamPosition, progress.lastStreamPosition]) as unknown as number,
        failing_since_ts: progress.failingSinceTs,
        ...(progress.lastSuccessTs === undefined ? {} : { last_success_ts: progress.lastSuccessTs }),
      });
    return updated > 0;
  }

  async setFailingSince(key: PusherKey, failingSinceTs: number | null): Promise<void> {
    await this.db<Row>('pushers').where(whereKey(key)).update({ failing_since_ts: failingSinceTs });
  }
}
