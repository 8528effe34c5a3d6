/** The server's signing key file, in Synapse's format so keys move between implementations unchanged. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, type SigningKey } from '../../core/crypto/signing-key.ts';

export class SigningKeyFileError extends Error {
  override name = 'SigningKeyFileError';
}

/** Reads the first key of the file, creating the file with a new key when it does not exist. */
export function loadOrCreateSigningKey(path: string): { key: SigningKey; created: boolean } {
  if (!existsSync(path)) {
    const key = generateSigningKey();
    writeSigningKeyFile(path, key);
    return { key, created: true };
  }
  let keys: SigningKey[];
  try {
    keys = parseSigningKeyFile(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SigningKeyFileError(`Cannot read signing key ${path}: ${(error as Error).message}`);
  }
  const [key] = keys;
  if (!key) throw new SigningKeyFileError(`Signing key file ${path} holds no key`);
  return { key, created: false };
}

/** Writes a key file readable by its owner only; refuses to overwrite an existing key. */
export function writeSigningKeyFile(path: string, key: SigningKey): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatSigningKeyFile([key]), { mode: 0o600, flag: 'wx' });
}
