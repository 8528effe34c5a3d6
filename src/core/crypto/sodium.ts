/**
 * The libsodium instance core signs, verifies and hashes with. libsodium loads its WebAssembly
 * asynchronously, so the composition root awaits initCrypto() once at start-up and core stays
 * synchronous afterwards. The "sumo" build is used because only it exports crypto_hash_sha256.
 */
import sodium from 'libsodium-wrappers-sumo';

let ready = false;

/** Loads libsodium; must be awaited once before any signing, verification or hashing. */
export async function initCrypto(): Promise<void> {
  await sodium.ready;
  ready = true;
}

/** The loaded libsodium; throws if initCrypto() has not completed, rather than failing obscurely inside it. */
export function loadedSodium(): typeof sodium {
  if (!ready) throw new Error('libsodium is not loaded: await initCrypto() before using core/crypto');
  return sodium;
}

/** The 32-byte SHA-256 digest, for content and reference hashes (server-server-api "Calculating the content hash for an event"). */
export function sha256(bytes: Uint8Array): Uint8Array {
  return loadedSodium().crypto_hash_sha256(bytes);
}
