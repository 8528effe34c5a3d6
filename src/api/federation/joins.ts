/** server-server-api "Joining Rooms" (joins-v1.yaml for make_join, joins-v2.yaml for send_join). */
import { z } from 'zod';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import { defineEndpoint } from '../endpoint.ts';

export const makeJoin = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/make_join/:roomId/:userId',
  resources: ['federation'],
  auth: 'server',
  handle: async ({ params, query, origin }, deps) => {
    const ver = query.ver;
    const versions = ver === undefined ? [] : Array.isArray(ver) ? ver : [ver];
    return deps.residentJoins.makeJoin(origin, params.roomId as RoomId, params.userId!, versions);
  },
});

export const sendJoin = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/federation/v2/send_join/:roomId/:eventId',
  resources: ['federation'],
  auth: 'server',
  body: z.looseObject({}),
  handle: async ({ params, body, origin }, deps) => deps.residentJoins.sendJoin(origin, params.roomId as RoomId, params.eventId!, body as JsonObject),
});
