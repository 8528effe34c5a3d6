/** client-server-api "Getting events for a room" (data/api/client-server/rooms.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { roomIdParam } from './room-request.ts';

export const getOneRoomEvent = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/event/:eventId',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, requester }, deps) => deps.roomReads.event(requester, roomIdParam(params.roomId), params.eventId!),
});

export const getRoomStateWithKey = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/state/:eventType{/:stateKey}',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, query, requester }, deps) => {
    const event = await deps.roomReads.stateEvent(requester, roomIdParam(params.roomId), params.eventType!, params.stateKey ?? '');
    // `format=event` (v1.16) asks for the whole event rather than its content.
    return query.format === 'event' ? deps.roomReads.formatEvent(requester, event) : event.content;
  },
});

export const getRoomState = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/state',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, requester }, deps) => deps.roomReads.state(requester, roomIdParam(params.roomId)),
});

const membership = z.enum(['join', 'invite', 'knock', 'leave', 'ban']);

export const getMembersByRoom = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/members',
  resources: ['client'],
  auth: 'user',
  query: z.object({ at: z.string().optional(), membership: membership.optional(), not_membership: membership.optional() }),
  handle: async ({ params, query, requester }, deps) => ({
    chunk: await deps.roomReads.members(requester, roomIdParam(params.roomId), { at: query.at, membership: query.membership, notMembership: query.not_membership }),
  }),
});

export const getJoinedMembersByRoom = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/joined_members',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => ({ joined: await deps.roomReads.joinedMembers(requester, roomIdParam(params.roomId)) }),
});
