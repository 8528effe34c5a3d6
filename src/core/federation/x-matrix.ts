/**
 * X-Matrix request authentication (server-server-api "Request Authentication"): the method, target,
 * origin, destination and body of a federation request are wrapped in a JSON object whose canonical
 * JSON the origin signs; the signature travels in `Authorization: X-Matrix origin=..,destination=..,key=..,sig=..`.
 */
import { decodeBase64, encodeBase64 } from '../base64.ts';
import { canonicalJsonBytes, type JsonObject } from '../canonical-json.ts';
import { signDetached, verifyDetached, type SigningKey } from '../crypto/signing-key.ts';
import { isServerName } from '../ids/server-name.ts';

/** What the signature covers ("Step 1 sign JSON"), `signatures` aside. */
export type SignedRequest = {
  method: string;
  /** The request target exactly as sent: path from `/_matrix/...` plus `?` and the query, if any. */
  uri: string;
  /** Server names before any delegation, as the spec requires. */
  origin: string;
  destination: string;
  /** The JSON-parsed body; absent for requests without one. */
  content?: JsonObject;
};

export type XMatrixCredentials = { origin: string; destination?: string; key: string; sig: string };

/** The `Authorization` header value for `request`, signed by `key` on behalf of `request.origin`. */
export function signRequest(request: SignedRequest, key: SigningKey): string {
  for (const name of [request.origin, request.destination]) {
    if (!isServerName(name)) throw new Error(`Cannot sign a request for the invalid server name ${JSON.stringify(name)}`);
  }
  const sig = encodeBase64(signDetached(canonicalJsonBytes(requestSigningJson(request)), key));
  // "For compatibility with older servers, the sender should only include one space after X-Matrix, only use
  // lower-case names, avoid backslashes and avoid whitespace around the commas". Server names and unpadded
  // base64 hold no quote or backslash, so quoting them needs no escapes.
  return `X-Matrix origin="${request.origin}",destination="${request.destination}",key="${key.keyId}",sig="${sig}"`;
}

/**
 * Whether `sig` (unpadded base64) is a valid ed25519 signature of `request` by `publicKeyBase64`. A receiver
 * whose header had no `destination` passes its own server name: the signed JSON always carried it.
 */
export function verifyRequestSignature(request: SignedRequest, sig: string, publicKeyBase64: string): boolean {
  const signature = tryDecodeBase64(sig);
  const publicKey = tryDecodeBase64(publicKeyBase64);
  if (!signature || !publicKey) return false;
  return verifyDetached(signature, canonicalJsonBytes(requestSigningJson(request)), publicKey);
}

export function requestSigningJson(request: SignedRequest): JsonObject {
  const { method, uri, origin, destination, content } = request;
  // The Python example adds `content` only when there is a body; `undefined` would be omitted anyway.
  return content === undefined ? { method, uri, origin, destination } : { method, uri, origin, destination, content };
}

// RFC 9110 section 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
// "the recipient should allow colons to be included in values without requiring the value to be enclosed in quotes".
const unquotedValue = /^[!#$%&'*+\-.^_`|~0-9A-Za-z:]+/;
// RFC 9110 section 5.6.4: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
const quotedString = /^"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"/;
const whitespace = /^[ \t]*/;
// appendices "Signing Details": a key ID is `algorithm:version`.
const keyId = /^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/;

/**
 * Reads an `Authorization` header value of scheme X-Matrix (RFC 9110 section 11.4 credentials: the scheme,
 * one or more spaces, then comma-separated `name=value` parameters, names case-insensitive, values a token
 * or a quoted string with backslash escapes, optional whitespace around commas). Undefined when the scheme
 * differs, the syntax is broken, a parameter repeats, or origin, key or sig is missing or malformed.
 * Unknown parameters are ignored. The spec's list calls the signature `signature`, but its example and
 * every implementation send `sig`, so `sig` is what is read.
 */
export function parseXMatrixHeader(value: string): XMatrixCredentials | undefined {
  const scheme = /^([^ \t]+) +/.exec(value);
  if (!scheme || scheme[1]!.toLowerCase() !== 'x-matrix') return undefined;
  const params = parseParams(value.slice(scheme[0].length));
  if (!params) return undefined;
  const { origin, destination, key, sig } = Object.fromEntries(params) as Partial<Record<string, string>>;
  if (origin === undefined || key === undefined || sig === undefined) return undefined;
  if (!isServerName(origin) || (destination !== undefined && !isServerName(destination))) return undefined;
  if (!keyId.test(key) || sig === '') return undefined;
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}

/** `#auth-param` (RFC 9110 section 5.6.1 lists: empty elements allowed), names lower-cased; undefined on bad syntax. */
function parseParams(text: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let rest = text;
  for (;;) {
    rest = rest.replace(/^[ \t,]*/, '');
    if (rest === '') return params;
    const name = token.exec(rest);
    if (!name) return undefined;
    rest = rest.slice(name[0].length).replace(whitespace, '');
    if (!rest.startsWith('=')) return undefined;
    rest = rest.slice(1).replace(whitespace, '');
    const quoted = quotedString.exec(rest);
    const bare = quoted ? undefined : unquotedValue.exec(rest);
    if (!quoted && !bare) return undefined;
    const key = name[0].toLowerCase();
    if (params.has(key)) return undefined; // two different values for one parameter: refuse to guess
    params.set(key, quoted ? quoted[1]!.replace(/\\(.)/gs, '$1') : bare![0]);
    rest = rest.slice((quoted ?? bare)![0].length).replace(whitespace, '');
    if (rest !== '' && !rest.startsWith(',')) return undefined;
  }
}

function tryDecodeBase64(text: string): Uint8Array | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}
