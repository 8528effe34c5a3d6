/** client-server-api "Room Upgrades" (data/api/client-server/room_upgrades.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const upgradeRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/upgrade',
  resources: ['client'],
  auth: 'user',
  body: z.object({ new_version: z.string(), additional_creators: z.array(z.string()).optional() }),
  handle: async ({ params, body, requester }, deps) => ({
    replacement_room: await deps.roomUpgrades.upgrade(requester, roomIdParam(params.roomId), body.new_version, body.additional_creators),
  }),
});
