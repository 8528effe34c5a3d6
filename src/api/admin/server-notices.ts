/** Synapse's server notices admin API (/_synapse/admin/v1/send_server_notice), over client-server-api "Server Notices". */
import { z } from 'zod';
import type { JsonObject } from '../../core/canonical-json.ts';
import { defineEndpoint } from '../endpoint.ts';
import { requireAdmin } from './require-admin.ts';

export const sendServerNotice = defineEndpoint({
  method: 'POST',
  path: '/_synapse/admin/v1/send_server_notice',
  resources: ['client'],
  auth: 'user',
  body: z.object({ user_id: z.string(), content: z.record(z.string(), z.unknown()) }),
  handle: ({ requester, body }, deps) => {
    requireAdmin(requester);
    return deps.serverNotices.notify(body.user_id, body.content as JsonObject);
  },
});
