/**
 * client-server-api "Content repository", the authenticated endpoints (authed-content-repo.yaml, v1.11):
 * downloads, thumbnails and the configuration, each requiring an access token. URL previews are in
 * url-preview.ts.
 */
import { defineEndpoint } from '../endpoint.ts';
import { downloadQuery, sendDownload, sendThumbnail, thumbnailQuery } from './media-requests.ts';

// As Synapse: the media endpoints are served by listeners with the client or the media resource.
const resources = ['client', 'media'] as const;
// "allow_remote" belongs to the deprecated endpoints only: the authenticated ones always fetch.
const authedDownloadQuery = downloadQuery.omit({ allow_remote: true }).transform((query) => ({ ...query, allow_remote: true }));
const authedThumbnailQuery = thumbnailQuery.omit({ allow_remote: true }).transform((query) => ({ ...query, allow_remote: true }));

export const getContentAuthed = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/media/download/:serverName/:mediaId',
  resources,
  auth: 'user',
  query: authedDownloadQuery,
  handle: (request, deps) => sendDownload(request, deps),
});

export const getContentOverrideNameAuthed = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/media/download/:serverName/:mediaId/:fileName',
  resources,
  auth: 'user',
  query: authedDownloadQuery,
  handle: (request, deps) => sendDownload(request, deps),
});

export const getContentThumbnailAuthed = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/media/thumbnail/:serverName/:mediaId',
  resources,
  auth: 'user',
  query: authedThumbnailQuery,
  handle: (request, deps) => sendThumbnail(request, deps),
});

export const getConfigAuthed = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/media/config',
  resources,
  auth: 'user',
  handle: (_request, deps) => deps.media.config(),
});
