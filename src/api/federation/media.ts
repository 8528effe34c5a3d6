/**
 * server-server-api "Content Repository" (content_repository.yaml, v1.11): this server's media for other
 * servers, behind X-Matrix authentication. The answer is `multipart/mixed` with exactly two parts: JSON
 * metadata (always `{}` for now) and the media itself with its Content-Type and Content-Disposition.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentRepository } from '../../services/media/content-repository.ts';
import { defineEndpoint, Response } from '../endpoint.ts';
import { dispositionOf, type SendableMedia } from '../media/media-response.ts';
import { downloadQuery, thumbnailDisposition, thumbnailQuery } from '../media/media-requests.ts';

export const getMediaForServer = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/media/download/:mediaId',
  resources: ['federation'],
  auth: 'server',
  query: downloadQuery,
  handle: async ({ params, query }, deps) => {
    const media = await deps.media.downloadForServer(params.mediaId!, query.timeout_ms);
    return multipartResponse(deps.media, media, dispositionOf(media.contentType, media.filename));
  },
});

export const getThumbnailForServer = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/media/thumbnail/:mediaId',
  resources: ['federation'],
  auth: 'server',
  query: thumbnailQuery,
  handle: async ({ params, query }, deps) => {
    const request = { width: query.width, height: query.height, method: query.method, animated: query.animated };
    const thumbnail = await deps.media.thumbnailForServer(params.mediaId!, request, query.timeout_ms);
    return multipartResponse(deps.media, thumbnail, thumbnailDisposition(thumbnail.contentType));
  },
});

/** The two parts, with the media streamed from its file between them (RFC 2046 §5.1). */
function multipartResponse(media: ContentRepository, content: SendableMedia, disposition: string): Response {
  const boundary = randomBytes(16).toString('hex');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${content.contentType}\r\nContent-Disposition: ${disposition}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts() {
    yield head;
    if (content.length > 0) yield* media.read(content);
    yield tail;
  }
  return new Response(200, Readable.from(parts(), { objectMode: false }), {
    'Content-Type': `multipart/mixed; boundary=${boundary}`,
    'Content-Length': String(head.length + content.length + tail.length),
  });
}
