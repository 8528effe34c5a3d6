/** Pushers (table pushers). */
import type { Database } from '../database.ts';

export interface PusherRecord {
  userId: string;
  appId: string;
  pushkey: string;
  kind: string;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
  createdTs: number;
}

interface Row {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  data_json: string;
  created_ts: number;
}

export class PusherRepository {
  constructor(private readonly db: Database) {}

  /** Stores the pusher; without `append`, other users' pushers with the same app ID and pushkey go. */
  async set(pusher: PusherRecord, append: boolean): Promise<void> {
    if (!append) await this.db('pushers').where({ app_id: pusher.appId, pushkey: pusher.pushkey }).whereNot('user_id', pusher.userId).delete();
    await this.db<Row>('pushers')
      .insert({
        user_id: pusher.userId,
        app_id: pusher.appId,
        pushkey: pusher.pushkey,
        kind: pusher.kind,
        app_display_name: pusher.appDisplayName,
        device_display_name: pusher.deviceDisplayName,
        profile_tag: pusher.profileTag,
        lang: pusher.lang,
        data_json: JSON.stringify(pusher.data),
        created_ts: pusher.createdTs,
      })
      .onConflict(['app_id', 'pushkey', 'user_id'])
      .merge(['kind', 'app_display_name', 'device_display_name', 'profile_tag', 'lang', 'data_json']);
  }

  async delete(userId: string, appId: string, pushkey: string): Promise<void> {
    await this.db('pushers').where({ user_id: userId, app_id: appId, pushkey }).delete();
  }

  async ofUser(userId: string): Promise<PusherRecord[]> {
    const rows = await this.db<Row>('pushers').where('user_id', userId).orderBy(['app_id', 'pushkey']);
    return rows.map((row) => ({
      userId: row.user_id,
      appId: row.app_id,
      pushkey: row.pushkey,
      kind: row.kind,
      appDisplayName: row.app_display_name,
      deviceDisplayName: row.device_display_name,
      profileTag: row.profile_tag,
      lang: row.lang,
      data: JSON.parse(row.data_json) as Record<string, unknown>,
      createdTs: Number(row.created_ts),
    }));
  }
}
