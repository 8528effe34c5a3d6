/** client-server-api "Joining rooms" (data/api/client-server/joining.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { resolveRoomIdOrAlias, roomIdParam } from './room-request.ts';

const joinBody = z.object({ reason: z.string().optional(), third_party_signed: z.unknown().optional() });

export const joinRoomById = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/rooms/:roomId/join',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'joins',
  body: joinBody,
  handle: async ({ params, body, requester }, deps) => {
    const roomId = roomIdParam(params.roomId);
    await deps.membership.join(requester, roomId, body.reason);
    return { room_id: roomId };
  },
});

export const joinRoom = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/join/:roomIdOrAlias',
  resources: ['client'],
  auth: 'user',
  rateLimit: 'joins',
  body: joinBody,
  handle: async ({ params, query, body, requester }, deps) => {
    // "via" (v1.12), and the older "server_name": the servers to join a remote room through; an alias
    // brings the servers its directory named.
    const servers = [query.via, query.server_name].flat().filter((server): server is string => typeof server === 'string');
    const alias = params.roomIdOrAlias!.startsWith('#') ? await deps.roomAliases.resolve(params.roomIdOrAlias!) : undefined;
    if (alias) servers.push(...alias.servers);
    const roomId = alias ? roomIdParam(alias.room_id) : await resolveRoomIdOrAlias(deps, params.roomIdOrAlias!);
    await deps.membership.join(requester, roomId, body.reason, servers);
    return { room_id: roomId };
  },
});
