/**
 * The content repository (client-server-api "Content repository", server-server-api "Content
 * Repository"): uploads, asynchronous uploads to URIs created beforehand, downloads and thumbnails of
 * this server's media and of other servers' media (fetched once, then served from the cache).
 *
 * Limits, per content_repo.md "Security considerations": an upload over max_upload_size is 413
 * M_TOO_LARGE; a user past media_upload_quota gets 403 M_FORBIDDEN (the status and errcode the spec
 * gives for "the user has reached a quota", rather than M_RESOURCE_LIMIT_EXCEEDED, which speaks of
 * the server's limits and asks for an admin contact); more than max_pending_media_uploads URIs created
 * and awaiting their upload is 429 M_LIMIT_EXCEEDED, as POST /media/v1/create asks.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MatrixError } from '../../core/errors.ts';
import { checkMediaAddress, mxcUri } from '../../core/media/mxc.ts';
import type { MediaContent, MediaRecord } from '../../storage/repositories/media.ts';
import type { Storage } from '../../storage/storage.ts';
import { ContentTooLargeError, type ByteRange, type MediaStore } from './media-store.ts';
import type { RemoteMedia } from './remote-media.ts';
import type { ThumbnailContent, ThumbnailRequest, Thumbnails } from './thumbnails.ts';
import { UploadWaiters } from './upload-waiters.ts';

export interface ContentRepositorySettings {
  serverName: string;
  maxUploadSize: number;
  /** media_upload_quota: the bytes one user may upload in all; undefined for no limit. */
  uploadQuota: number | undefined;
  maxPendingUploads: number;
  unusedExpirationMs: number;
  /** enable_legacy_unauthenticated_media */
  legacyUnauthenticatedMedia: boolean;
  /** Told of a user whose upload the quota refused (server notices tell the user). */
  onQuotaReached?: (userId: string) => void;
}

export interface Upload {
  body: Readable;
  contentType: string | undefined;
  filename: string | undefined;
  /** The request's Content-Length, when it has one: a body declared too large is refused unread. */
  declaredLength: number | undefined;
}

/** Media ready to be sent. */
export interface ServedMedia {
  sha256: string;
  length: number;
  contentType: string;
  filename: string | undefined;
}

export interface FetchOptions {
  /** How long to wait for content not uploaded yet (timeout_ms). */
  timeoutMs: number;
  /** false: answer only from this server's media and cache (allow_remote=false). */
  allowRemote: boolean;
}

// "The content repository SHOULD impose a maximum value for this parameter."
const maxWaitMs = 60_000;

type StoredRecord = MediaRecord & { content: MediaContent };

export class ContentRepository {
  private readonly waiters = new UploadWaiters();

  constructor(
    private readonly storage: Storage,
    private readonly store: MediaStore,
    private readonly thumbnails: Thumbnails,
    private readonly remote: RemoteMedia,
    private readonly settings: ContentRepositorySettings,
    private readonly clock: () => number,
  ) {}

  get legacyUnauthenticatedMedia(): boolean {
    return this.settings.legacyUnauthenticatedMedia;
  }

  config(): { 'm.upload.size': number } {
    return { 'm.upload.size': this.settings.maxUploadSize };
  }

  /** POST /media/v1/create: a URI whose content comes later. */
  async create(userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
    const now = this.clock();
    await this.storage.media.deleteExpiredPending(userId, now);
    if ((await this.storage.media.countPending(userId, now)) >= this.settings.maxPendingUploads) {
      throw new MatrixError('M_LIMIT_EXCEEDED', 'Too many pending media uploads; upload to the URIs created earlier first');
    }
    const mediaId = newMediaId();
    const expiresAt = now + this.settings.unusedExpirationMs;
    await this.storage.media.addPending(this.settings.serverName, mediaId, userId, now, expiresAt);
    return { content_uri: mxcUri(this.settings.serverName, mediaId), unused_expires_at: expiresAt };
  }

  /** POST /media/v3/upload */
  async upload(userId: string, upload: Upload): Promise<{ content_uri: string }> {
    const content = await this.receive(userId, upload);
    const mediaId = newMediaId();
    await this.storage.media.add(this.settings.serverName, mediaId, content, userId, this.clock());
    return { content_uri: mxcUri(this.settings.serverName, mediaId) };
  }

  /**
   * Media the server stores for itself (the images of URL previews): uploaded by no one, so counted
   * against no one's quota, though the user who asked for the preview reads it.
   */
  async storeForServer(upload: Upload): Promise<{ content_uri: string }> {
    const content = await this.receive(undefined, upload);
    const mediaId = newMediaId();
    await this.storage.media.add(this.settings.serverName, mediaId, content, undefined, this.clock());
    return { content_uri: mxcUri(this.settings.serverName, mediaId) };
  }

  /** PUT /media/v3/upload/{serverName}/{mediaId}: only by the URI's creator, only once, only before it expires. */
  async uploadTo(userId: string, serverName: string, mediaId: string, upload: Upload): Promise<void> {
    checkMediaAddress(serverName, mediaId);
    const record = serverName === this.settings.serverName ? await this.storage.media.get(serverName, mediaId) : undefined;
    if (!record) throw new MatrixError('M_NOT_FOUND', 'Unknown media ID');
    if (record.userId !== userId) throw new MatrixError('M_FORBIDDEN', 'Only the user who created this media ID may upload to it');
    if (record.content) throw new MatrixError('M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded');
    if (record.unusedExpiresTs !== undefined && record.unusedExpiresTs <= this.clock()) throw new MatrixError('M_NOT_FOUND', 'The media ID has expired');
    const content = await this.receive(userId, upload);
    if (!(await this.storage.media.completePending(serverName, mediaId, content, this.clock()))) {
      throw new MatrixError('M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded');
    }
    this.waiters.uploaded(`${serverName}/${mediaId}`);
  }

  /** Media for a client: this server's, or another server's (fetched unless `allowRemote` is false). */
  async download(serverName: string, mediaId: string, options: FetchOptions): Promise<ServedMedia> {
    return served(await this.stored(serverName, mediaId, options));
  }

  async thumbnail(serverName: string, mediaId: string, request: ThumbnailRequest, options: FetchOptions): Promise<ThumbnailContent> {
    return this.thumbnails.of(await this.stored(serverName, mediaId, options), request);
  }

  /** Media for another server (federation /media/download): only this server's own. */
  async downloadForServer(mediaId: string, timeoutMs: number): Promise<ServedMedia> {
    checkMediaAddress(this.settings.serverName, mediaId);
    return served(await this.local(mediaId, timeoutMs));
  }

  async thumbnailForServer(mediaId: string, request: ThumbnailRequest, timeoutMs: number): Promise<ThumbnailContent> {
    checkMediaAddress(this.settings.serverName, mediaId);
    return this.thumbnails.of(await this.local(mediaId, timeoutMs), request);
  }

  /** The bytes of served media or a thumbnail, or `range` of them. */
  read(media: { sha256: string }, range?: ByteRange): Readable {
    return this.store.read(media.sha256, range);
  }

  /** Stores an upload's body within the size limit and what remains of the user's quota. */
  private async receive(userId: string | undefined, upload: Upload): Promise<MediaContent> {
    const { maxUploadSize, uploadQuota } = this.settings;
    const quotaLeft = uploadQuota === undefined || userId === undefined ? Infinity : uploadQuota - (await this.storage.media.uploadedBytes(userId));
    const tooLarge = () => new MatrixError('M_TOO_LARGE', `Cannot upload files larger than ${maxUploadSize} bytes`);
    const overQuota = () => {
      if (userId !== undefined) this.settings.onQuotaReached?.(userId);
      return new MatrixError('M_FORBIDDEN', 'This upload would exceed your media upload quota');
    };
    if (upload.declaredLength !== undefined && upload.declaredLength > maxUploadSize) throw tooLarge();
    if (upload.declaredLength !== undefined && upload.declaredLength > quotaLeft) throw overQuota();
    try {
      const stored = await this.store.write(upload.body, Math.max(0, Math.min(maxUploadSize, quotaLeft)));
      return { contentType: upload.contentType || 'application/octet-stream', uploadName: upload.filename || undefined, ...stored };
    } catch (error) {
      if (error instanceof ContentTooLargeError) throw error.maxBytes < maxUploadSize ? overQuota() : tooLarge();
      throw error;
    }
  }

  private async stored(serverName: string, mediaId: string, options: FetchOptions): Promise<StoredRecord> {
    checkMediaAddress(serverName, mediaId);
    if (serverName === this.settings.serverName) return this.local(mediaId, options.timeoutMs);
    const cached = await this.storage.media.get(serverName, mediaId);
    if (cached?.quarantined) throw notFound();
    if (cached?.content) return cached as StoredRecord;
    if (!options.allowRemote) throw notFound();
    const fetched = await this.remote.fetch(serverName, mediaId, Math.min(options.timeoutMs, maxWaitMs));
    const content = { contentType: fetched.contentType, uploadName: fetched.filename, length: fetched.length, sha256: fetched.sha256 };
    // A concurrent fetch may have recorded it first: the record that won is served.
    await this.storage.media.add(serverName, mediaId, content, undefined, this.clock());
    const record = await this.storage.media.get(serverName, mediaId);
    if (!record?.content) throw notFound();
    return record as StoredRecord;
  }

  /** This server's media, waiting up to `timeoutMs` for content created but not uploaded yet. */
  private async local(mediaId: string, timeoutMs: number): Promise<StoredRecord> {
    const key = `${this.settings.serverName}/${mediaId}`;
    const deadline = this.clock() + Math.min(timeoutMs, maxWaitMs);
    for (;;) {
      const wait = this.waiters.arm(key, Math.max(0, deadline - this.clock()));
      try {
        const record = await this.storage.media.get(this.settings.serverName, mediaId);
        if (!record || record.quarantined) throw notFound();
        if (record.content) return record as StoredRecord;
        const now = this.clock();
        if (record.unusedExpiresTs !== undefined && record.unusedExpiresTs <= now) throw notFound();
        if (now >= deadline) throw new MatrixError('M_NOT_YET_UPLOADED', 'Content has not yet been uploaded');
        await wait.woken;
      } finally {
        wait.cancel();
      }
    }
  }
}

function notFound(): MatrixError {
  return new MatrixError('M_NOT_FOUND', 'Media not found');
}

function served(record: StoredRecord): ServedMedia {
  const { content } = record;
  return { sha256: content.sha256, length: content.length, contentType: content.contentType ?? 'application/octet-stream', filename: content.uploadName };
}

/** 24 characters of the URL-safe alphabet the spec allows in media IDs (144 random bits). */
function newMediaId(): string {
  return randomBytes(18).toString('base64url');
}
