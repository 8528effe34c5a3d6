/**
 * client-server-api GET /_matrix/client/v1/media/preview_url (authed-content-repo.yaml, v1.11) and the
 * deprecated GET /_matrix/media/v3/preview_url (content-repo.yaml), both requiring an access token.
 *
 * Off unless url_preview_enabled. Synapse then does not serve these paths at all, so they answer as an
 * unknown path does, 404 M_UNRECOGNIZED (here once the access token has been checked).
 */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineEndpoint, type EndpointRequest } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';

const resources = ['client', 'media'] as const;

const previewQuery = z.object({
  url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
  // "The preferred point in time to return a preview for": see UrlPreviews for why it picks nothing here.
  ts: queryParam.count.optional(),
});

function preview({ query }: EndpointRequest<undefined, 'user', z.output<typeof previewQuery>>, deps: ApiDependencies) {
  if (!deps.urlPreviews) throw new MatrixError('M_UNRECOGNIZED', 'Unrecognized request');
  return deps.urlPreviews.preview(query.url);
}

export const getUrlPreviewAuthed = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/media/preview_url',
  resources,
  auth: 'user',
  query: previewQuery,
  handle: preview,
});

export const getUrlPreview = defineEndpoint({
  method: 'GET',
  path: '/_matrix/media/v3/preview_url',
  resources,
  auth: 'user',
  query: previewQuery,
  handle: preview,
});
