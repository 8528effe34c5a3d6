/**
 * OpenID tokens (client-server-api "OpenID" POST /user/{userId}/openid/request_token; server-server-api
 * "OpenID" GET /openid/userinfo). A user asks for a token and gives it to a third-party service, which
 * exchanges it with this server for the user's Matrix ID. The token proves identity and nothing else:
 * it is kept apart from access tokens, so it cannot call any other API. Stored hashed, like access tokens.
 */
import { randomBytes } from 'node:crypto';
import { MatrixError } from '../../core/errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from './accounts.ts';
import { hashAccessToken } from './access-tokens.ts';

export interface OpenIdToken {
  access_token: string;
  token_type: 'Bearer';
  matrix_server_name: string;
  /** Seconds until the token expires. */
  expires_in: number;
}

/** As Synapse: an hour is long enough for a service to exchange the token. */
export const openIdTokenLifetimeMs = 60 * 60 * 1000;

export class OpenIdTokens {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly clock: () => number,
  ) {}

  /** A token for the requester; "Should be the user who is authenticated for the request", and only they may ask. */
  async issue(requester: Requester, userId: string): Promise<OpenIdToken> {
    if (userId !== requester.userId) throw new MatrixError('M_FORBIDDEN', 'You may only request OpenID tokens for yourself');
    const token = `lato_${randomBytes(32).toString('base64url')}`;
    const now = this.clock();
    await this.storage.openIdTokens.deleteExpired(now);
    await this.storage.openIdTokens.add(hashAccessToken(token), userId, now + openIdTokenLifetimeMs);
    return { access_token: token, token_type: 'Bearer', matrix_server_name: this.serverName, expires_in: Math.floor(openIdTokenLifetimeMs / 1000) };
  }

  /** openid.yaml: `{sub}` for a valid token; 401 M_UNKNOWN_TOKEN when "not recognized or has expired". */
  async userInfo(token: string): Promise<{ sub: string }> {
    const userId = token === '' ? undefined : await this.storage.openIdTokens.owner(hashAccessToken(token), this.clock());
    if (!userId) throw new MatrixError('M_UNKNOWN_TOKEN', 'Access token unknown or expired');
    return { sub: userId };
  }
}
