/** client-server-api "Client Config" (data/api/client-server/account-data.yaml). */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

const content = z.record(z.string(), z.unknown());

export const setAccountData = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/user/:userId/account_data/:type',
  resources: ['client'],
  auth: 'user',
  body: content,
  handle: async ({ params, body, requester }, deps) => {
    await deps.accountData.set(requester, params.userId!, null, params.type!, body);
    return {};
  },
});

export const getAccountData = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/user/:userId/account_data/:type',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, requester }, deps) => deps.accountData.get(requester, params.userId!, null, params.type!),
});

export const setRoomAccountData = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type',
  resources: ['client'],
  auth: 'user',
  body: content,
  handle: async ({ params, body, requester }, deps) => {
    await deps.accountData.set(requester, params.userId!, params.roomId!, params.type!, body);
    return {};
  },
});

export const getRoomAccountData = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type',
  resources: ['client'],
  auth: 'user',
  handle: ({ params, requester }, deps) => deps.accountData.get(requester, params.userId!, params.roomId!, params.type!),
});
