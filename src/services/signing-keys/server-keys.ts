/**
 * This server's published keys: the signed document of server-server-api "Publishing Keys"
 * (GET /_matrix/key/v2/server). The document is signed once and re-signed when half its validity
 * has passed, so a busy key endpoint costs no signature per request.
 */
import { encodePublicKey, type SigningKey } from '../../core/crypto/signing-key.ts';
import { signJson } from '../../core/crypto/sign-json.ts';
import type { LocalSigningKeyRecord } from '../../storage/repositories/local-signing-keys.ts';
import type { Storage } from '../../storage/storage.ts';

export interface OldVerifyKey {
  key: string;
  expired_ts: number;
}

export interface ServerKeysDocument {
  server_name: string;
  valid_until_ts: number;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys: Record<string, OldVerifyKey>;
  signatures: Record<string, Record<string, string>>;
}

export interface ServerKeysOptions {
  serverName: string;
  signingKey: SigningKey;
  /** Keys listed by the operator (config old_signing_keys). */
  configuredOldKeys: Record<string, OldVerifyKey>;
  /** How long other servers may cache the document. */
  validityMs: number;
  clock: () => number;
}

export class ServerKeys {
  private document: ServerKeysDocument | undefined;
  private signedAt = 0;

  private constructor(
    private readonly options: ServerKeysOptions,
    private readonly oldKeys: Record<string, OldVerifyKey>,
  ) {}

  /** Records the current key in the key history and gathers the keys it replaced. */
  static async start(storage: Storage, options: ServerKeysOptions): Promise<{ serverKeys: ServerKeys; replacedPublicKey?: string }> {
    const { signingKey, clock } = options;
    const { replacedPublicKey } = await storage.localSigningKeys.useKey(signingKey.keyId, encodePublicKey(signingKey), clock());
    const history = await storage.localSigningKeys.list();
    const oldKeys = { ...expiredKeys(history), ...options.configuredOldKeys };
    delete oldKeys[signingKey.keyId];
    return { serverKeys: new ServerKeys(options, oldKeys), replacedPublicKey };
  }

  get signingKey(): SigningKey {
    return this.options.signingKey;
  }

  /** The signed key document, re-signed when half of its validity has passed. */
  keysDocument(): ServerKeysDocument {
    const now = this.options.clock();
    if (!this.document || now - this.signedAt > this.options.validityMs / 2) {
      const { serverName, signingKey, validityMs } = this.options;
      this.document = signJson(
        {
          server_name: serverName,
          valid_until_ts: now + validityMs,
          verify_keys: { [signingKey.keyId]: { key: encodePublicKey(signingKey) } },
          old_verify_keys: this.oldKeys,
        },
        serverName,
        signingKey,
      ) as ServerKeysDocument;
      this.signedAt = now;
    }
    return this.document;
  }
}

function expiredKeys(history: LocalSigningKeyRecord[]): Record<string, OldVerifyKey> {
  const old: Record<string, OldVerifyKey> = {};
  for (const record of history) {
    if (record.expiredTs !== null) old[record.keyId] = { key: record.publicKey, expired_ts: record.expiredTs };
  }
  return old;
}
