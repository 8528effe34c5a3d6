/** Synapse's shared-secret registration API (/_synapse/admin/v1/register), for register_new_matrix_user and friends. */
import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';

export const getRegistrationNonce = defineEndpoint({
  method: 'GET',
  path: '/_synapse/admin/v1/register',
  resources: ['client'],
  auth: 'none',
  handle: (_request, deps) => ({ nonce: deps.sharedSecretRegistration.newNonce() }),
});

export const registerWithSharedSecret = defineEndpoint({
  method: 'POST',
  path: '/_synapse/admin/v1/register',
  resources: ['client'],
  auth: 'none',
  body: z.object({
    nonce: z.string(),
    username: z.string(),
    password: z.string(),
    admin: z.boolean().default(false),
    displayname: z.string().optional(),
    user_type: z.string().nullable().optional(),
    mac: z.string().regex(/^[0-9a-fA-F]+$/),
  }),
  handle: async ({ body }, deps) => {
    const session = await deps.sharedSecretRegistration.register({ ...body, userType: body.user_type ?? undefined });
    return { user_id: session.userId, access_token: session.accessToken, device_id: session.deviceId, home_server: deps.serverName };
  },
});
