/**
 * Reads another server's answer to a media download (server-server-api "Content Repository"): the
 * `multipart/mixed` answer of /_matrix/federation/v1/media/download and /thumbnail, whose first part
 * is JSON metadata and whose second part is the media, or the plain answer of the deprecated
 * /_matrix/media/v3/download. Either way no more than `maxBytes` of media is accepted.
 *
 * The multipart parser hands over a part once it is complete, so the media part is held in memory (as
 * chunks, at most `maxBytes`) until it is written out; a plain answer is streamed as it arrives.
 */
import type { Readable } from 'node:stream';
import { parse as parseContentDisposition } from 'content-disposition';
import { MaxFileSizeExceededError, MultipartParseError, getMultipartBoundary, parseMultipartStream } from '@remix-run/multipart-parser/node';
import type { StreamedAnswer } from './federation-client.ts';
import { FederationRequestError } from './federation-request-error.ts';
import { discardBody } from './read-body.ts';

export interface RemoteMediaContent {
  /** The media's Content-Type, and the file name of its Content-Disposition, as the remote server gave them. */
  contentType: string | undefined;
  filename: string | undefined;
  /** The bytes, not checked against `maxBytes` yet for a plain answer: the reader counts them. */
  body: Readable | Iterable<Uint8Array>;
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The media of a `multipart/mixed` answer (the federation endpoints). */
export async function readMultipartMedia(destination: string, answer: StreamedAnswer, maxBytes: number): Promise<RemoteMediaContent> {
  const invalid = (message: string, cause?: unknown) => new FederationRequestError(destination, 'invalid_response', message, { status: answer.status, cause });
  const contentType = header(answer.headers['content-type']) ?? '';
  const boundary = /^multipart\/mixed\b/i.test(contentType) ? getMultipartBoundary(contentType) : null;
  if (!boundary) throw invalid(`expected a multipart/mixed answer, got ${JSON.stringify(contentType)}`);
  const parts = [];
  try {
    // The metadata part is small; the media part may be up to maxBytes.
    for await (const part of parseMultipartStream(answer.body, { boundary, maxFileSize: maxBytes, maxTotalSize: maxBytes + 65_536, maxParts: 2 })) parts.push(part);
  } catch (error) {
    if (error instanceof MaxFileSizeExceededError) {
      throw new FederationRequestError(destination, 'response_too_large', `the media exceeds ${maxBytes} bytes`, { status: answer.status, cause: error });
    }
    if (error instanceof MultipartParseError) throw invalid(error.message, error);
    throw error;
  }
  const media = parts[1];
  if (parts.length !== 2 || !media) throw invalid(`expected two parts, got ${parts.length}`);
  // The spec lets the second part redirect (a Location header) instead of holding the bytes; Lattice does not follow it.
  if (media.headers.location !== undefined) throw invalid('the media part is a redirect, which is not followed');
  return { contentType: media.headers['content-type'], filename: filenameOf(media.headers['content-disposition']), body: media.content };
}

/** The media of a plain answer (the deprecated /_matrix/media/v3/download). */
export function readPlainMedia(destination: string, answer: StreamedAnswer, maxBytes: number): RemoteMediaContent {
  const declared = Number(header(answer.headers['content-length']));
  if (Number.isFinite(declared) && declared > maxBytes) {
    discardBody(answer.body);
    throw new FederationRequestError(destination, 'response_too_large', `the media exceeds ${maxBytes} bytes`, { status: answer.status });
  }
  return { contentType: header(answer.headers['content-type']), filename: filenameOf(header(answer.headers['content-disposition'])), body: answer.body };
}

/** The file name a Content-Disposition header gives (`filename*` preferred), if it is well formed. */
function filenameOf(contentDisposition: string | undefined): string | undefined {
  if (!contentDisposition) return undefined;
  try {
    return parseContentDisposition(contentDisposition).parameters.filename || undefined;
  } catch {
    return undefined;
  }
}
