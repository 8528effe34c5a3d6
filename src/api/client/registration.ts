/**
 * client-server-api "Account registration" (data/api/client-server/registration.yaml) and
 * "Token-authenticated registration" (registration_tokens.yaml).
 */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { requestDigest } from '../uia.ts';

const registrationFlows = [{ stages: ['m.login.dummy'] }];
// With registration_requires_token, the token stage comes first in every flow, as in Synapse.
const tokenRegistrationFlows = [{ stages: ['m.login.registration_token', 'm.login.dummy'] }];

const registerBody = z.object({
  auth: z.record(z.string(), z.unknown()).optional(),
  username: z.string().optional(),
  password: z.string().max(512).optional(),
  device_id: z.string().max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
});

export const register = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/register',
  resources: ['client'],
  rateLimit: 'registration',
  auth: 'none',
  body: registerBody,
  query: z.object({ kind: z.enum(['user', 'guest']).default('user') }),
  handle: async ({ body, query }, deps) => {
    if (query.kind === 'guest') throw new MatrixError('M_GUEST_ACCESS_FORBIDDEN', 'Guest access is disabled');
    if (!deps.enableRegistration) throw new MatrixError('M_FORBIDDEN', 'Registration has been disabled');
    if (body.username !== undefined) await deps.accounts.checkUsernameAvailable(body.username);
    const { auth, ...request } = body;
    const flows = deps.registrationRequiresToken ? tokenRegistrationFlows : registrationFlows;
    const { sessionId } = await deps.userInteractiveAuth.authenticate({ auth, flows, operation: `POST /register ${requestDigest(request)}` });
    let session;
    try {
      if (body.password === undefined) throw new MatrixError('M_MISSING_PARAM', 'Missing password');
      session = await deps.accounts.register({
        localpart: body.username,
        password: body.password,
        deviceId: body.device_id,
        initialDeviceDisplayName: body.initial_device_display_name,
        inhibitLogin: body.inhibit_login,
        refreshToken: body.refresh_token,
        registrationTokenSession: deps.registrationRequiresToken ? sessionId : undefined,
      });
    } catch (error) {
      // The UIA session is over: give back the registration token use it held.
      await deps.registrationTokens.release(sessionId);
      throw error;
    }
    return {
      user_id: session.userId,
      ...(session.accessToken ? { access_token: session.accessToken, device_id: session.deviceId } : {}),
      ...(session.refreshToken !== undefined ? { refresh_token: session.refreshToken } : {}),
      ...(session.expiresInMs !== undefined ? { expires_in_ms: session.expiresInMs } : {}),
      home_server: deps.serverName,
    };
  },
});

export const getRegistrationTokenValidity = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v1/register/m.login.registration_token/validity',
  resources: ['client'],
  // registration_tokens.yaml: rate limited against brute force.
  rateLimit: 'registration',
  auth: 'none',
  query: z.object({ token: z.string() }),
  handle: async ({ query }, deps) => {
    if (!deps.enableRegistration) throw new MatrixError('M_FORBIDDEN', 'Registration is not enabled on this homeserver');
    return { valid: await deps.registrationTokens.isValid(query.token) };
  },
});

export const getRegisterAvailable = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/register/available',
  resources: ['client'],
  auth: 'none',
  query: z.object({ username: z.string() }),
  handle: async ({ query }, deps) => {
    await deps.accounts.checkUsernameAvailable(query.username);
    return { available: true };
  },
});

