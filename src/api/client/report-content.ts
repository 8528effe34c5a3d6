/** client-server-api "Reporting Content" (data/api/client-server/report_content.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

/** Reasons are for a person to read; longer ones are refused (as Synapse does) rather than stored. */
const reason = z.string().max(1000);

export const reportEvent = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/report/:eventId',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'reports',
  // `score` was removed in v1.18; clients that still send it get it range-checked and stored.
  body: z.object({ reason: reason.optional(), score: z.number().int().min(-100).max(0).optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.reports.reportEvent(requester, roomIdParam(params.roomId), params.eventId!, body.reason, body.score);
    return {};
  },
});

export const reportRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/report',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'reports',
  body: z.object({ reason }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.reports.reportRoom(requester, roomIdParam(params.roomId), body.reason);
    return {};
  },
});

export const reportUser = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/users/:userId/report',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'reports',
  body: z.object({ reason }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.reports.reportUser(requester, params.userId!, body.reason);
    return {};
  },
});
