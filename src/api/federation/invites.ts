/** server-server-api "Inviting to a room" (invites-v2.yaml): PUT /v2/invite/{roomId}/{eventId}. */
import { z } from 'zod';
import type { JsonObject } from '../../core/canonical-json.ts';
import { defineEndpoint } from '../endpoint.ts';

export const invite = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/federation/v2/invite/:roomId/:eventId',
  resources: ['federation'],
  auth: 'server',
  body: z.looseObject({ room_version: z.string(), event: z.looseObject({}), invite_room_state: z.array(z.unknown()).optional() }),
  handle: async ({ params, body, origin }, deps) =>
    deps.remoteInvites.receive(origin, params.roomId!, params.eventId!, { room_version: body.room_version, event: body.event as JsonObject, invite_room_state: body.invite_room_state }),
});
