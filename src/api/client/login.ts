/** client-server-api "Login" (data/api/client-server/login.yaml). */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { passwordStageUser } from '../../services/accounts/user-interactive-auth.ts';
import { defineEndpoint } from '../endpoint.ts';

export const getLoginFlows = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/login',
  resources: ['client'],
  auth: 'none',
  handle: () => ({ flows: [{ type: 'm.login.password' }] }),
});

const loginBody = z.object({
  type: z.string(),
  identifier: z.record(z.string(), z.unknown()).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  refresh_token: z.boolean().optional(),
});

export const login = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/login',
  resources: ['client'],
  auth: 'none',
  rateLimit: 'login',
  body: loginBody,
  handle: async ({ body }, deps) => {
    if (body.type !== 'm.login.password') throw new MatrixError('M_UNKNOWN', `Unknown login type ${body.type}`, { status: 400 });
    const userId = passwordStageUser(body, (localpart) => deps.accounts.userIdFor(localpart));
    if (userId === undefined) throw new MatrixError('M_UNKNOWN', 'Unsupported identifier: use m.id.user', { status: 400 });
    if (body.password === undefined) throw new MatrixError('M_MISSING_PARAM', 'Missing password');
    // rc_login: per account as well as per address, and failed attempts per account on top.
    await deps.rateLimits.check('loginFailure', userId);
    await deps.rateLimits.consume('loginAccount', userId);
    const session = await deps.accounts.loginWithPassword(userId, body.password, body.device_id, body.initial_device_display_name, body.refresh_token).catch(async (error: unknown) => {
      if (error instanceof MatrixError && error.errcode === 'M_FORBIDDEN') await deps.rateLimits.consume('loginFailure', userId);
      throw error;
    });
    return {
      user_id: session.userId,
      access_token: session.accessToken,
      device_id: session.deviceId,
      home_server: deps.serverName,
      // "Refreshing access tokens": only for clients that sent refresh_token: true, when enabled.
      ...(session.refreshToken !== undefined ? { refresh_token: session.refreshToken } : {}),
      ...(session.expiresInMs !== undefined ? { expires_in_ms: session.expiresInMs } : {}),
    };
  },
});
