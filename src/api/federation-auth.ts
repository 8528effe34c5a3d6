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
import type { ApiDependencies } from './dependencies.ts';

export interface XMatrixCredentials {
  origin: string;
  /** Absent in requests of servers older than spec v1.3. */
  destination?: string;
  key: string;
  sig: string;
}

// RFC 9110 §11.4 credentials: the scheme, spaces, then name=value pairs separated by commas with
// optional spaces and tabs. A quoted value may hold backslash escapes; an unquoted one is read up to
// the next comma or whitespace, which also admits the colons older servers leave unquoted.
const scheme = /^x-matrix +/i;
const parameter = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))[ \t]*(?:,[ \t]*|$)/;

/** The X-Matrix credentials of one Authorization header value, or undefined when it is not one. */
export function parseXMatrixCredentials(header: string): XMatrixCredentials | undefined {
  const start = scheme.exec(header);
  if (!start) return undefined;
  let rest = header.slice(start[0].length);
  const params = new Map<string, string>();
  while (rest !== '') {
    const match = parameter.exec(rest);
    if (!match) return undefined;
    const name = match[1]!.toLowerCase();
    if (params.has(name)) return undefined;
    params.set(name, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!);
    rest = rest.slice(match[0].length);
  }
  const [origin, destination, key, sig] = ['origin', 'destination', 'key', 'sig'].map((name) => params.get(name));
  if (!origin || !key || !sig) return undefined;
  return { origin, ...(destination === undefined ? {} : { destination }), key, sig };
}

/** Every Authorization header of the request (Node keeps only the first in `headers`). */
export function authorizationHeaders(ctx: ParameterizedContext): string[] {
  const raw = ctx.req.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  }
  return values;
}

/** The JSON object a request's signature covers (server-server-api "Request Authentication", step 1). */
export function requestSigningJson(request: { method: string; uri: string; origin: string; destination: string; content?: JsonObject }): JsonObject {
  const { method, uri, origin, destination, content } = request;
  return { method, uri, origin, destination, ...(content === undefined ? {} : { content }) };
}

/** The origin server of a signed request; throws 401 M_UNAUTHORIZED or 403 M_FORBIDDEN. */
export async function authenticateServerRequest(ctx: ParameterizedContext, deps: ApiDependencies, content: JsonObject | undefined): Promise<string> {
  const credentials = authorizationHeaders(ctx)
    .map(parseXMatrixCredentials)
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
    if (await deps.remoteServerKeys.verifySignedJsonFrom(origin, signed)) return origin;
  }
  if (forbidden) throw new MatrixError('M_FORBIDDEN', 'Federation with this server is not allowed');
  throw new MatrixError('M_UNAUTHORIZED', 'The X-Matrix signature does not verify');
}
