/**
 * client-server-api "Content repository" (content-repo.yaml): uploads, asynchronous uploads to URIs
 * created first (v1.7), and the deprecated unauthenticated downloads, thumbnails and configuration.
 * With enable_legacy_unauthenticated_media off, the deprecated downloads are frozen: "This endpoint MAY
 * return 404 M_NOT_FOUND for media which exists, but is after the server froze unauthenticated media access".
 */
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import type { Upload } from '../../services/media/content-repository.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint } from '../endpoint.ts';
import { downloadQuery, sendDownload, sendThumbnail, thumbnailQuery } from './media-requests.ts';

const resources = ['client', 'media'] as const;
const uploadQuery = z.object({ filename: z.string().optional() });

/** The request's body as an upload, streamed: "Content-Type … Defaults to application/octet-stream if it is not set". */
function uploadOf(koa: ParameterizedContext, filename: string | undefined): Upload {
  return { body: koa.req, contentType: koa.get('content-type') || undefined, filename, declaredLength: koa.request.length };
}

function checkLegacyAccess(deps: ApiDependencies): void {
  if (!deps.media.legacyUnauthenticatedMedia) throw new MatrixError('M_NOT_FOUND', 'Unauthenticated media access is frozen: use /_matrix/client/v1/media');
}

export const uploadContent = defineEndpoint({
  method: 'POST',
  path: '/_matrix/media/v3/upload',
  resources,
  auth: 'user',
  query: uploadQuery,
  handle: ({ requester, query, koa }, deps) => deps.media.upload(requester.userId, uploadOf(koa, query.filename)),
});

export const uploadContentToMxc = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/media/v3/upload/:serverName/:mediaId',
  resources,
  auth: 'user',
  query: uploadQuery,
  handle: async ({ requester, params, query, koa }, deps) => {
    await deps.media.uploadTo(requester.userId, params.serverName!, params.mediaId!, uploadOf(koa, query.filename));
    return {};
  },
});

export const createContent = defineEndpoint({
  method: 'POST',
  path: '/_matrix/media/v1/create',
  resources,
  auth: 'user',
  handle: ({ requester }, deps) => deps.media.create(requester.userId),
});

export const getContent = defineEndpoint({
  method: 'GET',
  path: '/_matrix/media/v3/download/:serverName/:mediaId',
  resources,
  auth: 'none',
  query: downloadQuery,
  handle: (request, deps) => {
    checkLegacyAccess(deps);
    return sendDownload(request, deps);
  },
});

export const getContentOverrideName = defineEndpoint({
  method: 'GET',
  path: '/_matrix/media/v3/download/:serverName/:mediaId/:fileName',
  resources,
  auth: 'none',
  query: downloadQuery,
  handle: (request, deps) => {
    checkLegacyAccess(deps);
    return sendDownload(request, deps);
  },
});

export const getContentThumbnail = defineEndpoint({
  method: 'GET',
  path: '/_matrix/media/v3/thumbnail/:serverName/:mediaId',
  resources,
  auth: 'none',
  query: thumbnailQuery,
  handle: (request, deps) => {
    checkLegacyAccess(deps);
    return sendThumbnail(request, deps);
  },
});

export const getConfig = defineEndpoint({
  method: 'GET',
  path: '/_matrix/media/v3/config',
  resources,
  auth: 'user',
  handle: (_request, deps) => deps.media.config(),
});
