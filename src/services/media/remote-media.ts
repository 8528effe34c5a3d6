/**
 * Media of other servers, fetched from their origin (server-server-api "Content Repository"): first
 * the authenticated /_matrix/federation/v1/media/download, and only when the origin answers 404
 * M_UNRECOGNIZED (it predates that endpoint) the deprecated /_matrix/media/v3/download with
 * allow_remote=false, as the spec requires. Concurrent requests for the same media share one fetch.
 *
 * Failures are mapped for clients here (DESIGN.md "Remote errors are mapped"): the origin's 404 is
 * M_NOT_FOUND, its M_NOT_YET_UPLOADED passes through, media over the size limit is 502 M_TOO_LARGE
 * (content_repo.md "Security considerations"), and anything else is 502.
 */
import { MatrixError } from '../../core/errors.ts';
import type { FederationRequest, StreamedAnswer } from '../../federation-client/federation-client.ts';
import { FederationRequestError } from '../../federation-client/federation-request-error.ts';
import { readMultipartMedia, readPlainMedia, type RemoteMediaContent } from '../../federation-client/media-response.ts';
import { ContentTooLargeError, type MediaStore, type StoredFile } from './media-store.ts';

/** The part of the federation client media fetching needs. */
export interface MediaRequester {
  requestStream<T>(request: FederationRequest, read: (answer: StreamedAnswer) => Promise<T>): Promise<T>;
}

export interface FetchedMedia extends StoredFile {
  contentType: string | undefined;
  filename: string | undefined;
}

// Media may be large and the origin slow: more time than a JSON request gets.
const fetchTimeoutMs = 120_000;

export class RemoteMedia {
  private readonly inFlight = new Map<string, Promise<FetchedMedia>>();

  constructor(
    private readonly requester: MediaRequester | undefined,
    private readonly store: MediaStore,
    private readonly maxBytes: number,
  ) {}

  /** Fetches `mxc://origin/mediaId` into the media store. */
  fetch(origin: string, mediaId: string, waitMs: number): Promise<FetchedMedia> {
    const key = `${origin}/${mediaId}`;
    let fetching = this.inFlight.get(key);
    if (!fetching) {
      fetching = this.fetchFromOrigin(origin, mediaId, waitMs).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, fetching);
    }
    return fetching;
  }

  private async fetchFromOrigin(origin: string, mediaId: string, waitMs: number): Promise<FetchedMedia> {
    const requester = this.requester;
    if (!requester) throw new MatrixError('M_NOT_FOUND', 'This server does not fetch media from other servers');
    const get = (path: string, read: (answer: StreamedAnswer) => Promise<RemoteMediaContent> | RemoteMediaContent) =>
      requester.requestStream({ method: 'GET', destination: origin, path, timeoutMs: fetchTimeoutMs + waitMs }, async (answer) => {
        const media = await read(answer);
        const stored = await this.store.write(media.body, this.maxBytes);
        return { ...stored, contentType: media.contentType, filename: media.filename };
      });
    const id = encodeURIComponent(mediaId);
    try {
      try {
        return await get(`/_matrix/federation/v1/media/download/${id}?timeout_ms=${waitMs}`, (answer) => readMultipartMedia(origin, answer, this.maxBytes));
      } catch (error) {
        if (!(error instanceof FederationRequestError && error.status === 404 && error.errcode === 'M_UNRECOGNIZED')) throw error;
        const legacy = `/_matrix/media/v3/download/${encodeURIComponent(origin)}/${id}?allow_remote=false&timeout_ms=${waitMs}`;
        return await get(legacy, (answer) => readPlainMedia(origin, answer, this.maxBytes));
      }
    } catch (error) {
      throw mapFailure(error, origin);
    }
  }
}

function mapFailure(error: unknown, origin: string): unknown {
  if (error instanceof ContentTooLargeError || (error instanceof FederationRequestError && error.reason === 'response_too_large')) {
    return new MatrixError('M_TOO_LARGE', 'The remote media is too large', { status: 502 });
  }
  if (!(error instanceof FederationRequestError)) return error;
  if (error.status === 404) return new MatrixError('M_NOT_FOUND', 'The remote server has no such media');
  if (error.errcode === 'M_NOT_YET_UPLOADED') return new MatrixError('M_NOT_YET_UPLOADED', 'The remote media has not been uploaded yet');
  return new MatrixError('M_UNKNOWN', `Could not fetch the media from ${origin}`, { status: 502 });
}
