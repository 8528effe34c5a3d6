/** client-server-api "Server-side key backups" (data/api/client-server/key_backup.yaml). */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';

const versionBody = z.object({ algorithm: z.string(), auth_data: z.record(z.string(), z.unknown()), version: z.string().optional() });
// definitions/key_backup_data.yaml
const keyBackupData = z.object({ first_message_index: z.number().int().nonnegative(), forwarded_count: z.number().int().nonnegative(), is_verified: z.boolean(), session_data: z.record(z.string(), z.unknown()) });
const roomKeys = z.record(z.string(), z.object({ sessions: z.record(z.string(), keyBackupData) }));

function versionParam(query: Record<string, string | string[] | undefined>): string {
  if (typeof query.version !== 'string') throw new MatrixError('M_MISSING_PARAM', 'The version query parameter is required');
  return query.version;
}

export const createBackupVersion = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/room_keys/version',
  resources: ['client'],
  auth: 'user',
  body: versionBody,
  handle: async ({ requester, body }, deps) => ({ version: await deps.keyBackup.createVersion(requester.userId, body.algorithm, body.auth_data) }),
});

export const getLatestBackupVersion = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/room_keys/version',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester }, deps) => deps.keyBackup.versionInfo(requester.userId),
});

export const getBackupVersion = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/room_keys/version/:version',
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, params }, deps) => deps.keyBackup.versionInfo(requester.userId, params.version!),
});

export const updateBackupVersion = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/room_keys/version/:version',
  resources: ['client'],
  auth: 'user',
  body: versionBody,
  handle: async ({ requester, params, body }, deps) => {
    await deps.keyBackup.updateVersion(requester.userId, params.version!, body.algorithm, body.auth_data, body.version);
    return {};
  },
});

export const deleteBackupVersion = defineEndpoint({
  method: 'DELETE',
  path: '/_matrix/client/v3/room_keys/version/:version',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => {
    await deps.keyBackup.deleteVersion(requester.userId, params.version!);
    return {};
  },
});

// The three key paths, each with PUT, GET and DELETE: all rooms, one room, one session.
const allRooms = '/_matrix/client/v3/room_keys/keys';
const oneRoom = `${allRooms}/:roomId`;
const oneSession = `${allRooms}/:roomId/:sessionId`;

export const putRoomKeys = defineEndpoint({
  method: 'PUT',
  path: allRooms,
  resources: ['client'],
  auth: 'user',
  body: z.object({ rooms: roomKeys }),
  handle: ({ requester, query, body }, deps) => deps.keyBackup.putKeys(requester.userId, versionParam(query), body.rooms),
});

export const putRoomKeysForRoom = defineEndpoint({
  method: 'PUT',
  path: oneRoom,
  resources: ['client'],
  auth: 'user',
  body: z.object({ sessions: z.record(z.string(), keyBackupData) }),
  handle: ({ requester, query, params, body }, deps) => deps.keyBackup.putKeys(requester.userId, versionParam(query), { [params.roomId!]: body }),
});

export const putRoomKeyForSession = defineEndpoint({
  method: 'PUT',
  path: oneSession,
  resources: ['client'],
  auth: 'user',
  body: keyBackupData,
  handle: ({ requester, query, params, body }, deps) =>
    deps.keyBackup.putKeys(requester.userId, versionParam(query), { [params.roomId!]: { sessions: { [params.sessionId!]: body } } }),
});

export const getRoomKeys = defineEndpoint({
  method: 'GET',
  path: allRooms,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, query }, deps) => ({ rooms: await deps.keyBackup.getKeys(requester.userId, versionParam(query), {}) }),
});

export const getRoomKeysForRoom = defineEndpoint({
  method: 'GET',
  path: oneRoom,
  resources: ['client'],
  auth: 'user',
  // key_backup.yaml: a room without keys answers an empty sessions object, not 404.
  handle: async ({ requester, query, params }, deps) => (await deps.keyBackup.getKeys(requester.userId, versionParam(query), { roomId: params.roomId! }))[params.roomId!] ?? { sessions: {} },
});

export const getRoomKeyForSession = defineEndpoint({
  method: 'GET',
  path: oneSession,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, query, params }, deps) => {
    const rooms = await deps.keyBackup.getKeys(requester.userId, versionParam(query), { roomId: params.roomId!, sessionId: params.sessionId! });
    const key = rooms[params.roomId!]?.sessions[params.sessionId!];
    if (!key) throw new MatrixError('M_NOT_FOUND', 'No key backed up for this session');
    return key;
  },
});

export const deleteRoomKeys = defineEndpoint({
  method: 'DELETE',
  path: allRooms,
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, query }, deps) => deps.keyBackup.deleteKeys(requester.userId, versionParam(query), {}),
});

export const deleteRoomKeysForRoom = defineEndpoint({
  method: 'DELETE',
  path: oneRoom,
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, query, params }, deps) => deps.keyBackup.deleteKeys(requester.userId, versionParam(query), { roomId: params.roomId! }),
});

export const deleteRoomKeyForSession = defineEndpoint({
  method: 'DELETE',
  path: oneSession,
  resources: ['client'],
  auth: 'user',
  handle: ({ requester, query, params }, deps) => deps.keyBackup.deleteKeys(requester.userId, versionParam(query), { roomId: params.roomId!, sessionId: params.sessionId! }),
});
