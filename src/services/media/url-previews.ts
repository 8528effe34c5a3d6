/**
 * URL previews (client-server-api GET /_matrix/client/v1/media/preview_url): "The OpenGraph data for the
 * URL", made as Synapse makes it. An HTML page gives its OpenGraph tags (core/media/open-graph.ts), and
 * the image they name is fetched and stored in the content repository, so `og:image` is an mxc:// URI
 * with its type, size and dimensions; a URL that is an image itself is stored and described the same way;
 * anything else has no preview. A failure to get a page's image only leaves the image out.
 *
 * Every fetch goes through the SafeFetcher (url_preview_ip_range_blacklist / _whitelist on every address,
 * url_preview_url_blacklist on every URL, redirects, a deadline, max_spider_size), and its failures are
 * answered as Synapse answers them.
 *
 * Previews are kept in memory for an hour (a bounded LRU, failures for a minute), and requests for a URL
 * whose preview is being made wait for that one. `ts` does not pick among them: no preview is kept long
 * enough to be an older version, and the spec lets a server "return a newer version if it does not have
 * the requested version available", so keying by it would only fetch the same page again.
 */
import { loadSharp } from './thumbnailer.ts';
import { Readable } from 'node:stream';
import { lru } from '../../util/lru.ts';
import { MatrixError } from '../../core/errors.ts';
import type { ContentRepository } from './content-repository.ts';
import { readOpenGraph } from './html-open-graph.ts';
import { SafeFetchError, type SafeFetcher } from './safe-fetch.ts';

/** The answer: OpenGraph tags, with the image's numbers as numbers. */
export type OpenGraph = Record<string, string | number>;

export interface UrlPreviewSettings {
  /** max_spider_size: the most bytes read of a page or an image. */
  maxSpiderSize: number;
}

const previewTtlMs = 60 * 60_000;
const failureTtlMs = 60_000;
const maxCachedPreviews = 1_000;
/** Synapse prunes "stupidly long" tags from a preview. */
const maxTagNameLength = 50;
const maxTagValueLength = 1_000;

interface Image {
  bytes: Buffer;
  contentType: string;
}

export class UrlPreviews {
  private readonly cache = lru<string, Promise<OpenGraph>>(maxCachedPreviews, { ttl: previewTtlMs });

  constructor(
    private readonly fetcher: Pick<SafeFetcher, 'get'>,
    private readonly media: Pick<ContentRepository, 'storeForServer'>,
    private readonly settings: UrlPreviewSettings,
    /** Told when a page's image could not be stored (the preview goes on without it). */
    private readonly onImageFailure: (imageUrl: string, error: unknown) => void = () => {},
  ) {}

  /** The preview of `url` (an http or https URL), made unless already made or being made (for anyone). */
  async preview(url: string): Promise<OpenGraph> {
    const target = URL.canParse(url) ? new URL(url) : undefined;
    if (target?.protocol !== 'http:' && target?.protocol !== 'https:') throw new MatrixError('M_INVALID_PARAM', 'url must be an http or https URL');
    // The fragment is not sent to the server: it cannot change the page.
    target.hash = '';
    const key = target.href;
    let preview = this.cache.get(key);
    if (!preview) {
      const made = this.make(target);
      this.cache.set(key, made);
      made.catch(() => {
        if (this.cache.peek(key) === made) this.cache.set(key, made, { ttl: failureTtlMs });
      });
      preview = made;
    }
    return preview;
  }

  private async make(url: URL): Promise<OpenGraph> {
    const response = await this.fetch(url);
    const type = mediaType(response.contentType);
    let og: OpenGraph;
    if (type.startsWith('image/')) {
      og = await this.store({ bytes: await this.read(() => response.bytes()), contentType: type });
    } else if (type === 'text/html' || type === 'application/xhtml+xml') {
      // The page's image URL gives way to the stored image's mxc:// URI, or to nothing.
      const { 'og:image': imageSrc, ...tags } = await this.read(() => readOpenGraph(response.chunks(), response.contentType));
      og = { ...tags, ...(await this.pageImage(imageSrc, response.url)) };
    } else {
      response.discard();
      // As Synapse: a page of another type is not fetched further; one that says no type has no preview.
      if (type !== '') throw new MatrixError('M_UNKNOWN', `Requested file's content type not allowed for this operation: ${type}`, { status: 502 });
      og = {};
    }
    return pruned(og);
  }

  /** The tags of the image a page names, stored; none when it has none or it cannot be had. */
  private async pageImage(src: string | undefined, pageUrl: URL): Promise<OpenGraph> {
    if (!src) return {};
    let imageUrl: URL;
    try {
      imageUrl = new URL(src, pageUrl);
    } catch {
      return {};
    }
    try {
      const image = imageUrl.protocol === 'data:' ? await dataUrlImage(imageUrl) : await this.fetchImage(imageUrl);
      return image ? await this.store(image) : {};
    } catch (error) {
      this.onImageFailure(imageUrl.protocol === 'data:' ? 'data: URL' : imageUrl.href, error);
      return {};
    }
  }

  private async fetchImage(url: URL): Promise<Image | undefined> {
    const response = await this.fetch(url);
    const contentType = mediaType(response.contentType);
    if (!contentType.startsWith('image/')) {
      response.discard();
      return undefined;
    }
    return { bytes: await this.read(() => response.bytes()), contentType };
  }

  /** Stores an image in the content repository: the tags of a preview's image. */
  private async store(image: Image): Promise<OpenGraph> {
    const { bytes, contentType } = image;
    const { content_uri } = await this.media.storeForServer({ body: Readable.from([bytes]), contentType, filename: undefined, declaredLength: bytes.length });
    const size = await imageSize(bytes);
    return {
      'og:image': content_uri,
      'og:image:type': contentType,
      'matrix:image:size': bytes.length,
      ...(size && { 'og:image:width': size.width, 'og:image:height': size.height }),
    };
  }

  private async fetch(url: URL) {
    return this.read(() => this.fetcher.get(url, this.settings.maxSpiderSize));
  }

  /** Runs a step of fetching, its failures answered as Synapse answers them. */
  private async read<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw error instanceof SafeFetchError ? previewError(error) : error;
    }
  }
}

function previewError(error: SafeFetchError): MatrixError {
  const unknown = (status: number, message: string) => new MatrixError('M_UNKNOWN', message, { status });
  switch (error.reason) {
    case 'url_blocked':
      return unknown(403, 'URL blocked by url pattern blacklist entry');
    case 'ip_blocked':
      return unknown(403, 'IP address blocked');
    case 'resolution':
      return unknown(502, 'DNS resolution failure during URL preview generation');
    case 'too_large':
      return new MatrixError('M_TOO_LARGE', error.message, { status: 502 });
    case 'timeout':
      return unknown(504, 'Timed out fetching the URL');
    case 'status':
    case 'redirects':
    case 'unsupported_url':
      return unknown(502, error.message);
    case 'network':
      return unknown(502, 'Failed to download content');
  }
}

/** The media type of a Content-Type header, lowercased, or '' when there is none. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An image inlined in the page (Synapse accepts them for og:image); bounded by the page's own size. */
async function dataUrlImage(url: URL): Promise<Image | undefined> {
  const response = await fetch(url);
  const contentType = mediaType(response.headers.get('content-type') ?? undefined);
  return contentType.startsWith('image/') ? { bytes: Buffer.from(await response.arrayBuffer()), contentType } : undefined;
}

/** The image's displayed size (after its EXIF orientation), read from its header; undefined if unreadable. */
async function imageSize(bytes: Buffer): Promise<{ width: number; height: number } | undefined> {
  try {
    const sharp = await loadSharp();
    const { width, height, orientation } = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!width || !height) return undefined;
    return orientation !== undefined && orientation >= 5 ? { width: height, height: width } : { width, height };
  } catch {
    return undefined;
  }
}

/** Without the tags whose name or value is too long to be a description. */
function pruned(og: OpenGraph): OpenGraph {
  return Object.fromEntries(Object.entries(og).filter(([key, value]) => key.length <= maxTagNameLength && String(value).length <= maxTagValueLength));
}
