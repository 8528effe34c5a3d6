/** client-server-api "Fully read markers" (data/api/client-server/read_markers.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const setReadMarker = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/read_markers',
  resources: ['client'],
  auth: 'user',
  body: z.object({ 'm.fully_read': z.string().optional(), 'm.read': z.string().optional(), 'm.read.private': z.string().optional() }),
  handle: async ({ params, body, requester }, deps) => {
    await deps.receipts.setReadMarkers(requester, roomIdParam(params.roomId), { fullyRead: body['m.fully_read'], read: body['m.read'], readPrivate: body['m.read.private'] });
    return {};
  },
});
