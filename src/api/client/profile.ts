/** client-server-api "Profiles" (data/api/client-server/profile.yaml), with v1.16 custom fields. */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';

export const getProfile = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/profile/:userId',
  resources: ['client'],
  auth: 'none',
  handle: ({ params }, deps) => deps.profiles.profile(params.userId!),
});

export const getProfileField = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/profile/:userId/:keyName',
  resources: ['client'],
  auth: 'none',
  handle: async ({ params }, deps) => ({ [params.keyName!]: await deps.profiles.field(params.userId!, params.keyName!) }),
});

export const setProfileField = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/profile/:userId/:keyName',
  resources: ['client'],
  auth: 'user',
  body: z.record(z.string(), z.unknown()),
  handle: async ({ params, body, requester }, deps) => {
    const key = params.keyName!;
    if (!Object.hasOwn(body, key)) throw new MatrixError('M_MISSING_PARAM', `The body must hold the property ${key}`);
    await deps.profiles.setField(requester, params.userId!, key, body[key]);
    return {};
  },
});

export const deleteProfileField = defineEndpoint({
  method: 'DELETE',
  path: '/_matrix/client/v3/profile/:userId/:keyName',
  resources: ['client'],
  auth: 'user',
  handle: async ({ params, requester }, deps) => {
    await deps.profiles.deleteField(requester, params.userId!, params.keyName!);
    return {};
  },
});
