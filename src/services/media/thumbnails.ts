/**
 * Thumbnails of stored media (client-server-api "Thumbnails"), made on first request and kept: a
 * thumbnail is stored like media (its file named by its hash) and recorded under the media, the size
 * it was made at, the method and its content type. Which size answers a request is decided in
 * core/media/thumbnail-sizes.ts; one thumbnail is made at a time per key, so a burst of requests for a
 * new image renders it once.
 */
import { MatrixError } from '../../core/errors.ts';
import { isSmallerThanRequest, thumbnailDimensions, thumbnailSizeFor, type ThumbnailMethod } from '../../core/media/thumbnail-sizes.ts';
import type { MediaContent, MediaRecord } from '../../storage/repositories/media.ts';
import type { Storage } from '../../storage/storage.ts';
import { KeyedMutex } from '../../util/keyed-mutex.ts';
import type { MediaStore } from './media-store.ts';
import type { Thumbnailer } from './thumbnailer.ts';

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  /** The client's `animated` preference: true asks for animation, false or absent forbids it. */
  animated: boolean;
}

/** What answers a thumbnail request: a thumbnail, or the original when it is small enough. */
export interface ThumbnailContent {
  sha256: string;
  length: number;
  contentType: string;
}

// The types a thumbnail response may have (authed-content-repo.yaml), which the original must have to be sent as one.
const thumbnailResponseTypes = new Set(['image/jpeg', 'image/png', 'image/apng', 'image/gif', 'image/webp']);

export class Thumbnails {
  private readonly rendering = new KeyedMutex();

  constructor(
    private readonly storage: Storage,
    private readonly store: MediaStore,
    private readonly thumbnailer: Thumbnailer,
    private readonly serverName: string,
  ) {}

  async of(media: MediaRecord & { content: MediaContent }, request: ThumbnailRequest): Promise<ThumbnailContent> {
    const { content } = media;
    const cannot = () => new MatrixError('M_UNKNOWN', 'Cannot generate thumbnails for the requested content', { status: 400 });
    if (!this.thumbnailer.reads(content.contentType)) throw cannot();
    const path = this.store.path(content.sha256);
    const image = await this.thumbnailer.probe(path);
    if (!image) throw cannot();
    // content_repo.md "Security considerations": 413 for local images, 502 for remote ones.
    if (this.thumbnailer.isTooLarge(image)) throw new MatrixError('M_TOO_LARGE', 'Content is too large to thumbnail', { status: media.origin === this.serverName ? 413 : 502 });
    const animated = request.animated && image.animated;
    const type = content.contentType!.split(';')[0]!.trim().toLowerCase();
    if (isSmallerThanRequest(image, request) && thumbnailResponseTypes.has(type) && (animated || !image.animated)) {
      return { sha256: content.sha256, length: content.length, contentType: type };
    }
    const size = thumbnailSizeFor(request);
    const key = { requestedWidth: size.width, requestedHeight: size.height, method: size.method, contentType: this.thumbnailer.thumbnailType(type, animated) };
    const cached = () => this.storage.media.thumbnail(media.origin, media.mediaId, key);
    const found = await cached();
    if (found) return { sha256: found.sha256, length: found.length, contentType: found.contentType };
    return this.rendering.run(`${media.origin}/${media.mediaId}/${size.width}x${size.height}/${size.method}/${key.contentType}`, async () => {
      const raced = await cached();
      if (raced) return { sha256: raced.sha256, length: raced.length, contentType: raced.contentType };
      // A header that reads but a body that does not decode is content that cannot be thumbnailed.
      const thumbnail = await this.thumbnailer.render(path, thumbnailDimensions(image, size), size.method, key.contentType).catch(() => {
        throw cannot();
      });
      const stored = await this.store.write([thumbnail.data], Infinity);
      await this.storage.media.addThumbnail(media.origin, media.mediaId, { ...key, width: thumbnail.width, height: thumbnail.height, ...stored });
      return { sha256: stored.sha256, length: stored.length, contentType: key.contentType };
    });
  }
}
