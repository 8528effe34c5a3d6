/**
 * What the download and thumbnail endpoints share, authenticated (/_matrix/client/v1/media) or not
 * (/_matrix/media/v3): their query parameters and how their answer is made.
 */
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { queryParam } from '../query-params.ts';
import type { ApiDependencies } from '../dependencies.ts';
import type { Response } from '../endpoint.ts';
import { dispositionOf, mediaResponse } from './media-response.ts';

/** "The default value is 20000 (20 seconds)." */
const defaultTimeoutMs = 20_000;

const dimension = queryParam.count.refine((n) => n > 0, 'expected a positive integer');

export const downloadQuery = z.object({
  timeout_ms: queryParam.count.default(defaultTimeoutMs),
  // Only the deprecated endpoints have it; "Defaults to true if not provided".
  allow_remote: queryParam.boolean.default(true),
});
export type DownloadQuery = z.output<typeof downloadQuery>;

export const thumbnailQuery = downloadQuery.extend({
  width: dimension,
  height: dimension,
  method: z.enum(['crop', 'scale']).default('scale'),
  animated: queryParam.boolean.default(false),
});
export type ThumbnailQuery = z.output<typeof thumbnailQuery>;

interface MediaRequest<Query> {
  params: Record<string, string>;
  query: Query;
  koa: ParameterizedContext;
}

/** GET …/download/{serverName}/{mediaId}[/{fileName}]: a file name in the path replaces the upload's. */
export async function sendDownload({ params, query, koa }: MediaRequest<DownloadQuery>, deps: ApiDependencies): Promise<Response> {
  const media = await deps.media.download(params.serverName!, params.mediaId!, { timeoutMs: query.timeout_ms, allowRemote: query.allow_remote });
  return mediaResponse(koa, deps.media, media, dispositionOf(media.contentType, params.fileName ?? media.filename));
}

/** GET …/thumbnail/{serverName}/{mediaId}: "Content-Disposition … MUST be inline". */
export async function sendThumbnail({ params, query, koa }: MediaRequest<ThumbnailQuery>, deps: ApiDependencies): Promise<Response> {
  const request = { width: query.width, height: query.height, method: query.method, animated: query.animated };
  const thumbnail = await deps.media.thumbnail(params.serverName!, params.mediaId!, request, { timeoutMs: query.timeout_ms, allowRemote: query.allow_remote });
  return mediaResponse(koa, deps.media, thumbnail, thumbnailDisposition(thumbnail.contentType));
}

export function thumbnailDisposition(contentType: string): string {
  return `inline; filename=thumbnail.${contentType.split('/')[1]}`;
}
