/** client-server-api "Getting events for a room" (data/api/client-server/rooms.yaml). */
import { MatrixError } from '../../core/errors.ts';
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

const memberships = new Set(['join', 'invite', 'knock', 'leave', 'ban']);

export const getMembersByRoom = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/members',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, query, requester }, deps) => {
    const membership = typeof query.membership === 'string' ? query.membership : undefined;
    const notMembership = typeof query.not_membership === 'string' ? query.not_membership : undefined;
    for (const value of [membership, notMembership]) if (value !== undefined && !memberships.has(value)) throw new MatrixError('M_INVALID_PARAM', `Unknown membership ${value}`);
    const at = typeof query.at === 'string' ? query.at : undefined;
    return { chunk: await deps.roomReads.members(requester, roomIdParam(params.roomId), { at, membership, notMembership }) };
  },
});

export const getJoinedMembersByRoom = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/rooms/:roomId/joined_members',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => ({ joined: await deps.roomReads.joinedMembers(requester, roomIdParam(params.roomId)) }),
});
