/**
 * The content repository's rows (tables media and media_thumbnails): what each mxc:// URI holds, who
 * uploaded it, and the thumbnails made of it. The files themselves are the media store's business.
 */
import type { Database } from '../database.ts';

interface MediaRow {
  media_origin: string;
  media_id: string;
  user_id: string | null;
  content_type: string | null;
  upload_name: string | null;
  media_length: number | string | null;
  sha256: string | null;
  created_ts: number | string;
  unused_expires_ts: number | string | null;
  quarantined: boolean | number;
}

interface ThumbnailRow {
  media_origin: string;
  media_id: string;
  requested_width: number;
  requested_height: number;
  method: string;
  content_type: string;
  width: number;
  height: number;
  media_length: number | string;
  sha256: string;
}

/** The bytes an mxc:// URI holds, once it holds any. */
export interface MediaContent {
  contentType: string | undefined;
  uploadName: string | undefined;
  length: number;
  sha256: string;
}

export interface MediaRecord {
  origin: string;
  mediaId: string;
  userId: string | undefined;
  createdTs: number;
  /** Set while the URI was created by /create and not uploaded to: when it stops being usable. */
  unusedExpiresTs: number | undefined;
  quarantined: boolean;
  /** Undefined until the content has been uploaded (async uploads). */
  content: MediaContent | undefined;
}

export interface ThumbnailKey {
  requestedWidth: number;
  requestedHeight: number;
  method: 'crop' | 'scale';
  contentType: string;
}

export interface ThumbnailRecord extends ThumbnailKey {
  width: number;
  height: number;
  length: number;
  sha256: string;
}

export class MediaRepository {
  constructor(private readonly db: Database) {}

  async get(origin: string, mediaId: string): Promise<MediaRecord | undefined> {
    const row = await this.db<MediaRow>('media').where({ media_origin: origin, media_id: mediaId }).first();
    return row && toRecord(row);
  }

  /** Records uploaded or cached content; false when the URI is already taken (a concurrent fetch won). */
  async add(origin: string, mediaId: string, content: MediaContent, userId: string | undefined, createdTs: number): Promise<boolean> {
    const inserted = await this.db<MediaRow>('media')
      .insert({ media_origin: origin, media_id: mediaId, user_id: userId ?? null, created_ts: createdTs, ...contentColumns(content) })
      .onConflict(['media_origin', 'media_id'])
      .ignore()
      .returning('media_id');
    return inserted.length > 0;
  }

  /** Reserves a URI for a later upload (POST /media/v1/create). */
  async addPending(origin: string, mediaId: string, userId: string, createdTs: number, unusedExpiresTs: number): Promise<void> {
    await this.db<MediaRow>('media').insert({ media_origin: origin, media_id: mediaId, user_id: userId, created_ts: createdTs, unused_expires_ts: unusedExpiresTs });
  }

  /** Gives a pending URI its content; false when it already has some (only the first upload counts). */
  async completePending(origin: string, mediaId: string, content: MediaContent, createdTs: number): Promise<boolean> {
    const updated = await this.db<MediaRow>('media')
      .where({ media_origin: origin, media_id: mediaId })
      .whereNull('sha256')
      .update({ ...contentColumns(content), created_ts: createdTs, unused_expires_ts: null });
    return updated > 0;
  }

  /** How many URIs `userId` created that are neither uploaded to nor expired at `now`. */
  async countPending(userId: string, now: number): Promise<number> {
    const row = await this.db<MediaRow>('media').where('user_id', userId).whereNull('sha256').andWhere('unused_expires_ts', '>', now).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** Forgets `userId`'s pending URIs that expired before `now`. */
  async deleteExpiredPending(userId: string, now: number): Promise<void> {
    await this.db<MediaRow>('media').where('user_id', userId).whereNull('sha256').andWhere('unused_expires_ts', '<=', now).delete();
  }

  /** The bytes `userId` has uploaded in all, for the upload quota. */
  async uploadedBytes(userId: string): Promise<number> {
    const row = await this.db<MediaRow>('media').where('user_id', userId).sum({ total: 'media_length' }).first();
    return Number(row?.total ?? 0);
  }

  async thumbnail(origin: string, mediaId: string, key: ThumbnailKey): Promise<ThumbnailRecord | undefined> {
    const row = await this.db<ThumbnailRow>('media_thumbnails')
      .where({ media_origin: origin, media_id: mediaId, requested_width: key.requestedWidth, requested_height: key.requestedHeight, method: key.method, content_type: key.contentType })
      .first();
    return row && { ...key, width: row.width, height: row.height, length: Number(row.media_length), sha256: row.sha256 };
  }

  async addThumbnail(origin: string, mediaId: string, thumbnail: ThumbnailRecord): Promise<void> {
    await this.db<ThumbnailRow>('media_thumbnails')
      .insert({
        media_origin: origin,
        media_id: mediaId,
        requested_width: thumbnail.requestedWidth,
        requested_height: thumbnail.requestedHeight,
        method: thumbnail.method,
        content_type: thumbnail.contentType,
        width: thumbnail.width,
        height: thumbnail.height,
        media_length: thumbnail.length,
        sha256: thumbnail.sha256,
      })
      .onConflict(['media_origin', 'media_id', 'requested_width', 'requested_height', 'method', 'content_type'])
      .ignore();
  }
}

function contentColumns(content: MediaContent): Pick<MediaRow, 'content_type' | 'upload_name' | 'media_length' | 'sha256'> {
  return { content_type: content.contentType ?? null, upload_name: content.uploadName ?? null, media_length: content.length, sha256: content.sha256 };
}

function toRecord(row: MediaRow): MediaRecord {
  return {
    origin: row.media_origin,
    mediaId: row.media_id,
    userId: row.user_id ?? undefined,
    createdTs: Number(row.created_ts),
    unusedExpiresTs: row.unused_expires_ts === null ? undefined : Number(row.unused_expires_ts),
    quarantined: Boolean(row.quarantined),
    content:
      row.sha256 === null
        ? undefined
        : { contentType: row.content_type ?? undefined, uploadName: row.upload_name ?? undefined, length: Number(row.media_length), sha256: row.sha256 },
  };
}
