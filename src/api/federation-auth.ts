/**
 * server-server-api "Request Authentication": a request from another server carries an
 * `Authorization: X-Matrix origin=…,destination=…,key=…,sig=…` header, the signature of
 * {method, uri, origin, destination, content} by the origin's key. Several headers may come; the
 * request is accepted when one of them holds. federation_domain_whitelist, when set, names the only
 * origins accepted (403 for others, checked before any of their keys is fetched).
 */
import type { ParameterizedContext } from 'koa';
import type { JsonObject } from '../core/canonical-json.ts';
import { MatrixError } from '../core/errors.ts';
import { parseXMatrixHeader, requestSigningJson, type XMatrixCredentials } from '../core/federation/x-matrix.ts';
import type { ApiDependencies } from './dependencies.ts';

/** Every Authorization header of the request (Node keeps only the first in `headers`). */
export function authorizationHeaders(ctx: ParameterizedContext): string[] {
  const raw = ctx.req.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  }
  return values;
}

/** The origin server of a signed request; throws 401 M_UNAUTHORIZED or 403 M_FORBIDDEN. */
export async function authenticateServerRequest(ctx: ParameterizedContext, deps: ApiDependencies, content: JsonObject | undefined): Promise<string> {
  const credentials = authorizationHeaders(ctx)
    .map(parseXMatrixHeader)
    .filter((c): c is XMatrixCredentials => c !== undefined);
  if (credentials.length === 0) throw new MatrixError('M_UNAUTHORIZED', 'Missing or malformed X-Matrix Authorization header');
  let forbidden = false;
  for (const { origin, destination, key, sig } of credentials) {
    // "If this property is included, but the value does not match the receiving server's name, the
    // receiving server must deny the request with an HTTP status code 401 Unauthorized."
    if (destination !== undefined && destination !== deps.serverName) continue;
    if (deps.federationDomainWhitelist && !deps.federationDomainWhitelist.includes(origin)) {
      forbidden = true;
      continue;
    }
    const signed = {
      ...requestSigningJson({ method: ctx.method, uri: ctx.originalUrl, origin, destination: destination ?? deps.serverName, content }),
      signatures: { [origin]: { [key]: sig } },
    };
    if (await deps.remoteServerKeys.verifySignedJsonFrom(origin, signed)) {
      deps.federationSender.heardFrom(origin);
      return origin;
    }
  }
  if (forbidden) throw new MatrixError('M_FORBIDDEN', 'Federation with this server is not allowed');
  throw new MatrixError('M_UNAUTHORIZED', 'The X-Matrix signature does not verify');
}
