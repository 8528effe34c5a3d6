/**
 * How media is sent (client-server-api "Content repository"): the sandboxing headers the spec
 * recommends, a Content-Disposition that is `inline` only for the types of "Serving inline content"
 * (else `attachment`) with the file name RFC 6266-encoded, the bytes streamed from their file, and a
 * single byte range when one is asked for.
 */
import { create as contentDisposition } from 'content-disposition';
import type { ParameterizedContext } from 'koa';
import type { ByteRange } from '../../services/media/media-store.ts';
import type { ContentRepository } from '../../services/media/content-repository.ts';
import { Response } from '../endpoint.ts';

/** "Servers SHOULD restrict Content-Type headers to one of the following values when serving content with Content-Disposition: inline." */
const inlineTypes = new Set([
  'text/css', 'text/plain', 'text/csv', 'application/json', 'application/ld+json', 'image/jpeg', 'image/gif', 'image/png',
  'image/apng', 'image/webp', 'image/avif', 'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime', 'audio/mp4', 'audio/webm',
  'audio/aac', 'audio/mpeg', 'audio/ogg', 'audio/wave', 'audio/wav', 'audio/x-wav', 'audio/x-pn-wav', 'audio/flac', 'audio/x-flac',
]);

/** The policy content_repo.md recommends, and (v1.4) Cross-Origin-Resource-Policy for web clients. */
const sandboxHeaders = {
  'Content-Security-Policy': "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export interface SendableMedia {
  sha256: string;
  length: number;
  contentType: string;
}

/** The Content-Disposition of content of `contentType`: inline only for the safe types; `filename` kept when given. */
export function dispositionOf(contentType: string, filename: string | undefined): string {
  const type = inlineTypes.has(contentType.split(';')[0]!.trim().toLowerCase()) ? 'inline' : 'attachment';
  return filename ? contentDisposition(filename, { type }) : type;
}

/** A 200 with the media, or a 206 with the one range the request asks for (416 when it lies past the end). */
export function mediaResponse(koa: ParameterizedContext, media: ContentRepository, content: SendableMedia, disposition: string): Response {
  const headers: Record<string, string> = { ...sandboxHeaders, 'Content-Type': content.contentType, 'Content-Disposition': disposition, 'Accept-Ranges': 'bytes' };
  const range = requestedRange(koa.get('range'), content.length);
  if (range === 'unsatisfiable') return new Response(416, '', { ...headers, 'Content-Range': `bytes */${content.length}` });
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${content.length}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
    return new Response(206, media.read(content, range), headers);
  }
  headers['Content-Length'] = String(content.length);
  return new Response(200, content.length === 0 ? '' : media.read(content), headers);
}

/**
 * The single range of a `Range: bytes=…` header (RFC 9110 §14.1.2): `a-b`, `a-` or the suffix `-n`.
 * Anything else, several ranges included, is ignored and the whole content is sent, as the RFC allows.
 */
function requestedRange(header: string, length: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, length - suffix);
    end = length - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? length - 1 : Number(match[2]);
    if (match[2] !== '' && end < start) return undefined;
  }
  if (start >= length) return 'unsatisfiable';
  return { start, end: Math.min(end, length - 1) };
}
