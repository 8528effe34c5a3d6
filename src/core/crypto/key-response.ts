/**
 * Checking a server's key response (server-server-api "Publishing Keys", keys.yaml), whether it came
 * from the server itself or through a notary: it names the server it was asked about, carries
 * valid_until_ts, and is signed by its server with every Ed25519 key it lists under verify_keys, so
 * nobody but the holder of those keys can have published it. Keys of other algorithms are ignored:
 * the spec defines none, and a signature we cannot check proves nothing.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import { verifyJsonSignature } from './sign-json.ts';

export interface VerifiedServerKey {
  keyId: string;
  /** Unpadded base64 public key. */
  key: string;
  /** For a key listed under old_verify_keys: when the server stopped using it. */
  expiredTs: number | null;
}

export interface VerifiedKeyResponse {
  serverName: string;
  validUntilTs: number;
  keys: VerifiedServerKey[];
  /** The response with only its own server's signatures, as stored and served again as a notary. */
  document: JsonObject;
}

export class InvalidKeyResponse extends Error {
  override name = 'InvalidKeyResponse';
}

const isTimestamp = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isEd25519KeyId = (keyId: string) => /^ed25519:[a-zA-Z0-9_]+$/.test(keyId);

/** The keys of `response` if it is a valid, self-signed key response of `serverName`; throws InvalidKeyResponse otherwise. */
export function checkKeyResponse(response: unknown, serverName: string): VerifiedKeyResponse {
  if (!isJsonObject(response)) throw new InvalidKeyResponse('the key response is not a JSON object');
  if (response.server_name !== serverName) throw new InvalidKeyResponse(`the key response names ${JSON.stringify(response.server_name)}, not ${serverName}`);
  if (!isTimestamp(response.valid_until_ts)) throw new InvalidKeyResponse('the key response has no valid_until_ts');
  if (!isJsonObject(response.verify_keys)) throw new InvalidKeyResponse('the key response has no verify_keys');
  const keys: VerifiedServerKey[] = [];
  for (const [keyId, entry] of Object.entries(response.verify_keys)) {
    if (!isEd25519KeyId(keyId)) continue;
    if (!isJsonObject(entry) || typeof entry.key !== 'string') throw new InvalidKeyResponse(`verify_keys.${keyId} has no key`);
    if (!verifyJsonSignature(response, serverName, keyId, entry.key)) throw new InvalidKeyResponse(`the key response is not signed by ${serverName} with ${keyId}`);
    keys.push({ keyId, key: entry.key, expiredTs: null });
  }
  if (keys.length === 0) throw new InvalidKeyResponse('the key response lists no ed25519 verify key');
  const old = response.old_verify_keys;
  if (old !== undefined && !isJsonObject(old)) throw new InvalidKeyResponse('old_verify_keys is not an object');
  for (const [keyId, entry] of Object.entries(old ?? {})) {
    if (!isEd25519KeyId(keyId) || Object.hasOwn(response.verify_keys, keyId)) continue;
    if (!isJsonObject(entry) || typeof entry.key !== 'string' || !isTimestamp(entry.expired_ts)) throw new InvalidKeyResponse(`old_verify_keys.${keyId} needs key and expired_ts`);
    keys.push({ keyId, key: entry.key, expiredTs: entry.expired_ts });
  }
  const signatures = response.signatures as JsonObject;
  const document = { ...response, signatures: { [serverName]: signatures[serverName] } };
  return { serverName, validUntilTs: response.valid_until_ts, keys, document };
}
