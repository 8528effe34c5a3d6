/**
 * Signing JSON (appendices "Signing Details" and "Checking for a Signature"): the signature covers the
 * canonical JSON of the object without `signatures` and `unsigned`, and is filed under
 * `signatures[signing name][key ID]`, beside any signatures already there.
 */
import { decodeBase64, encodeBase64 } from '../base64.ts';
import { canonicalJsonBytes, isJsonObject, type JsonObject } from '../canonical-json.ts';
import { MatrixError } from '../errors.ts';
import { signDetached, verifyDetached, type SigningKey } from './signing-key.ts';

/** `signatures`: signing entity (a server name) → signing key ID → unpadded base64 signature. */
export type Signatures = Record<string, Record<string, string>>;

/** A copy of `value` carrying `signingName`'s signature by `key`; `value` is left untouched. */
export function signJson<T extends object>(value: T, signingName: string, key: SigningKey): T & { signatures: Signatures } {
  const { signatures = {}, unsigned, ...signed } = value as JsonObject;
  if (!isJsonObject(signatures)) throw new MatrixError('M_BAD_JSON', '"signatures" must be an object');
  const signature = encodeBase64(signDetached(canonicalJsonBytes(signed), key));
  const own = signatures[signingName];
  const merged = { ...signatures, [signingName]: { ...(isJsonObject(own) ? own : {}), [key.keyId]: signature } };
  return { ...signed, signatures: merged, ...(unsigned === undefined ? {} : { unsigned }) } as T & { signatures: Signatures };
}

/**
 * Whether `value` carries a valid signature by `signingName` with key `keyId`, checked against the
 * unpadded base64 `publicKeyBase64`. False when the signature is missing, malformed or wrong, when the
 * key cannot be decoded, or when the key ID's algorithm is not ed25519 (the only one the spec defines).
 */
export function verifyJsonSignature(value: object, signingName: string, keyId: string, publicKeyBase64: string): boolean {
  const { signatures, unsigned: _unsigned, ...signed } = value as JsonObject;
  const own = isJsonObject(signatures) ? signatures[signingName] : undefined;
  const signature = isJsonObject(own) ? own[keyId] : undefined;
  if (typeof signature !== 'string' || !keyId.startsWith('ed25519:')) return false;
  const signatureBytes = tryDecodeBase64(signature);
  const publicKey = tryDecodeBase64(publicKeyBase64);
  if (!signatureBytes || !publicKey) return false;
  return verifyDetached(signatureBytes, canonicalJsonBytes(signed), publicKey);
}

function tryDecodeBase64(text: string): Uint8Array | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}
