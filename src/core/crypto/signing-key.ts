/**
 * A server's Ed25519 signing key (appendices "Signing Details": key IDs are `algorithm:version`), its raw
 * signatures, and Synapse's key file format so keys move between implementations unchanged.
 */
import { decodeBase64, encodeBase64 } from '../base64.ts';
import { loadedSodium } from './sodium.ts';

export type SigningKey = {
  algorithm: 'ed25519';
  /** The key identifier after the colon, e.g. `a_Evzg`. */
  version: string;
  /** The signing key identifier, `ed25519:<version>`. */
  keyId: string;
  /** The 32-byte seed the key pair derives from; what the key file stores. */
  seed: Uint8Array;
  publicKey: Uint8Array;
  /** libsodium's 64-byte secret key (seed followed by public key). */
  secretKey: Uint8Array;
};

/** Fills a new array of `length` random bytes. */
export type RandomBytes = (length: number) => Uint8Array;

// server-server-api keys.yaml: a key version must match [a-zA-Z0-9_].
const keyVersionPattern = /^[a-zA-Z0-9_]+$/;
const seedBytes = 32;
const alphanumerics = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new key with a version `a_` + 4 random alphanumerics, as Synapse names its keys. */
export function generateSigningKey(random: RandomBytes = (length) => loadedSodium().randombytes_buf(length)): SigningKey {
  return signingKeyFromSeed(`a_${randomAlphanumerics(4, random)}`, random(seedBytes));
}

export function signingKeyFromSeed(version: string, seed: Uint8Array): SigningKey {
  if (!keyVersionPattern.test(version)) throw new Error(`Key version ${JSON.stringify(version)} must match [a-zA-Z0-9_]+`);
  if (seed.length !== seedBytes) throw new Error(`An ed25519 seed is ${seedBytes} bytes, not ${seed.length}`);
  const pair = loadedSodium().crypto_sign_seed_keypair(seed);
  return { algorithm: 'ed25519', version, keyId: `ed25519:${version}`, seed: seed.slice(), publicKey: pair.publicKey, secretKey: pair.privateKey };
}

/** The public key as published in `verify_keys` (unpadded base64). */
export function encodePublicKey(key: SigningKey): string {
  return encodeBase64(key.publicKey);
}

/** The detached 64-byte Ed25519 signature of `message`. */
export function signDetached(message: Uint8Array, key: SigningKey): Uint8Array {
  return loadedSodium().crypto_sign_detached(message, key.secretKey);
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`; false for malformed inputs too. */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const sodium = loadedSodium();
  if (signature.length !== sodium.crypto_sign_BYTES || publicKey.length !== sodium.crypto_sign_PUBLICKEYBYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false; // libsodium throws on keys it cannot decode, which is no valid signature either.
  }
}

/** Reads a Synapse signing key file: one `ed25519 <version> <unpadded base64 seed>` per line. */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      keys.push(parseKeyLine(line));
    } catch (error) {
      throw new Error(`Signing key file line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return keys;
}

function parseKeyLine(line: string): SigningKey {
  const fields = line.trim().split(/\s+/);
  if (fields.length !== 3) throw new Error(`expected "ed25519 <version> <base64 seed>", found ${fields.length} fields`);
  const [algorithm, version, seed] = fields as [string, string, string];
  if (algorithm !== 'ed25519') throw new Error(`unsupported algorithm ${JSON.stringify(algorithm)}`);
  return signingKeyFromSeed(version, decodeBase64(seed));
}

/** Writes keys in Synapse's signing key file format, one line each. */
export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((key) => `${key.algorithm} ${key.version} ${encodeBase64(key.seed)}\n`).join('');
}

/** Unbiased random characters: bytes at or above the largest multiple of 62 are drawn again. */
function randomAlphanumerics(count: number, random: RandomBytes): string {
  const limit = 256 - (256 % alphanumerics.length);
  let text = '';
  while (text.length < count) {
    for (const byte of random(count)) {
      if (byte < limit && text.length < count) text += alphanumerics[byte % alphanumerics.length];
    }
  }
  return text;
}
