/** server-server-api "Leaving Rooms (Rejecting Invites)" (leaving-v1.yaml for make_leave, leaving-v2.yaml for send_leave). */
import { z } from 'zod';
import type { JsonObject } from '../../core/canonical-json.ts';
import type { RoomId } from '../../core/ids/identifiers.ts';
import { defineEndpoint } from '../endpoint.ts';

export const makeLeave = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/make_leave/:roomId/:userId',
  resources: ['federation'],
  auth: 'server',
  handle: async ({ params, origin }, deps) => deps.residentLeavesAndKnocks.makeLeave(origin, params.roomId as RoomId, params.userId!),
});

export const sendLeave = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/federation/v2/send_leave/:roomId/:eventId',
  resources: ['federation'],
  auth: 'server',
  body: z.looseObject({}),
  handle: async ({ params, body, origin }, deps) => deps.residentLeavesAndKnocks.sendLeave(origin, params.roomId as RoomId, params.eventId!, body as JsonObject),
});
