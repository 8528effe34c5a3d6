/** client-server-api "Creation" (data/api/client-server/create_room.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

const stateEvent = z.object({ type: z.string(), state_key: z.string().optional(), content: z.record(z.string(), z.unknown()) });

const createRoomBody = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).optional(),
  // invite_3pid needs an identity server, which Lattice does not talk to: accepted only when empty.
  invite_3pid: z.array(z.unknown()).max(0, 'invite_3pid is not supported by this server').optional(),
  room_version: z.string().optional(),
  creation_content: z.record(z.string(), z.unknown()).optional(),
  initial_state: z.array(stateEvent).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: z.record(z.string(), z.unknown()).optional(),
});

export const createRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/createRoom',
  resources: ['client'],
  auth: 'user',
  body: createRoomBody,
  handle: async ({ body, requester }, deps) => {
    const roomId = await deps.roomCreation.createRoom(requester, {
      visibility: body.visibility,
      roomAliasName: body.room_alias_name,
      name: body.name,
      topic: body.topic,
      invite: body.invite,
      roomVersion: body.room_version,
      creationContent: body.creation_content,
      initialState: body.initial_state,
      preset: body.preset,
      isDirect: body.is_direct,
      powerLevelContentOverride: body.power_level_content_override,
    });
    return { room_id: roomId };
  },
});
