/** server-server-api "Knocking upon a room" (knocks.yaml): make_knock and send_knock. */
import { z } from 'zod';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import { defineEndpoint } from '../endpoint.ts';

export const makeKnock = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/make_knock/:roomId/:userId',
  resources: ['federation'],
  auth: 'server',
  handle: async ({ params, query, origin }, deps) => {
    const ver = query.ver;
    const versions = ver === undefined ? [] : Array.isArray(ver) ? ver : [ver];
    return deps.residentLeavesAndKnocks.makeKnock(origin, params.roomId as RoomId, params.userId!, versions);
  },
});

export const sendKnock = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/federation/v1/send_knock/:roomId/:eventId',
  resources: ['federation'],
  auth: 'server',
  body: z.looseObject({}),
  handle: async ({ params, body, origin }, deps) => deps.residentLeavesAndKnocks.sendKnock(origin, params.roomId as RoomId, params.eventId!, body as JsonObject),
});
