/**
 * Cross-signing (client-server-api "Cross-signing"): a user's master key vouches for their
 * self-signing key (which signs their devices) and user-signing key (which signs other users'
 * master keys). The server verifies every signature against the key it claims before storing it.
 */
import { canonicalJson } from '../../core/canonical-json.ts';
import { verifyJsonSignature } from '../../core/crypto/sign-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { serverNameOf, type UserId } from '../../core/ids/identifiers.ts';
import type { CrossSigningKeyRecord, CrossSigningUsage, KeySignature } from '../../storage/repositories/cross-signing.ts';
import type { KeyObject } from '../../storage/repositories/e2ee-keys.ts';
import type { Repositories, Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { ServerEvents } from '../server-events.ts';
import { commitDeviceListChange, type DeviceListChangeScope } from './device-lists.ts';
import type { RemoteDeviceKeys } from './remote-device-keys.ts';

export type CrossSigningUpload = Partial<Record<'master_key' | 'self_signing_key' | 'user_signing_key', KeyObject>>;

const usages: Record<keyof CrossSigningUpload, CrossSigningUsage> = { master_key: 'master', self_signing_key: 'self_signing', user_signing_key: 'user_signing' };

type Failures = Record<string, Record<string, { errcode: string; error: string }>>;

/** Where master keys of other servers' users come from, to check a local user's signatures on them. */
export interface RemoteMasterKeys {
  serverName: string;
  keys: Pick<RemoteDeviceKeys, 'query'>;
}

export class CrossSigning {
  constructor(
    private readonly storage: Storage,
    private readonly events: ServerEvents,
    private readonly remote?: RemoteMasterKeys,
  ) {}

  /**
   * cross_signing.yaml: UIA is needed unless the user has no master key yet, or the request only
   * repeats keys the server already has.
   */
  async needsAuthentication(userId: string, upload: CrossSigningUpload): Promise<boolean> {
    const existing = await this.storage.crossSigning.keysOf([userId]);
    if (!existing.some((k) => k.usage === 'master')) return false;
    return Object.entries(upload).some(([field, key]) => {
      const stored = existing.find((k) => k.usage === usages[field as keyof CrossSigningUpload]);
      return !stored || JSON.stringify(stored.key) !== JSON.stringify(key);
    });
  }

  async upload(requester: Requester, upload: CrossSigningUpload): Promise<void> {
    const userId = requester.userId;
    const records = Object.entries(upload).map(([field, key]) => toRecord(userId, usages[field as keyof CrossSigningUpload], key!));
    const existing = await this.storage.crossSigning.keysOf([userId]);
    const master = records.find((r) => r.usage === 'master') ?? existing.find((r) => r.usage === 'master');
    if (!master) throw new MatrixError('M_MISSING_PARAM', 'No master signing key is available');
    for (const record of records.filter((r) => r.usage !== 'master')) {
      if (!verifyJsonSignature(record.key, userId, `ed25519:${master.publicKey}`, master.publicKey)) {
        throw new MatrixError('M_INVALID_SIGNATURE', `The ${record.usage} key is not signed by the master key`, { status: 400 });
      }
    }
    // Other servers hear of master and self-signing keys (m.signing_key_update); a user-signing key is the user's own business.
    const signingKeys = records.some((r) => r.usage !== 'user_signing');
    await this.recordChange(userId, async (tx) => {
      for (const record of records) await tx.crossSigning.setKey(record);
    }, { deviceIds: [], signingKeys });
  }

  /**
   * /keys/signatures/upload: signatures of the requester's self-signing key on their devices, of
   * their devices on their master key, and of their user-signing key on other users' master keys.
   */
  async uploadSignatures(requester: Requester, signed: Record<string, Record<string, KeyObject>>): Promise<{ failures: Failures }> {
    const failures: Failures = {};
    const accepted: KeySignature[] = [];
    const fail = (userId: string, keyId: string, errcode: string, error: string) => ((failures[userId] ??= {})[keyId] = { errcode, error });
    const ownKeys = await this.storage.crossSigning.keysOf([requester.userId]);
    const ownKey = (usage: CrossSigningUsage) => ownKeys.find((k) => k.usage === usage);

    for (const [targetUserId, objects] of Object.entries(signed)) {
      const targetKeys = targetUserId === requester.userId ? ownKeys : await this.keysOfOther(targetUserId);
      for (const [targetKeyId, object] of Object.entries(objects)) {
        const targetMaster = targetKeys.find((k) => k.usage === 'master' && k.publicKey === targetKeyId);
        const signer = targetUserId !== requester.userId ? ownKey('user_signing') : targetMaster ? undefined : ownKey('self_signing');
        // The stored object the signature must cover: the device keys, or the master key.
        const stored = targetMaster?.key ?? (targetUserId === requester.userId ? await this.storage.e2eeKeys.deviceKeys(targetUserId, targetKeyId) : undefined);
        if (!stored || !sameSignedContent(stored, object)) {
          fail(targetUserId, targetKeyId, 'M_INVALID_PARAM', 'Unknown key, or the signed object differs from it');
          continue;
        }
        const verified = signer
          ? signaturesBy(object, requester.userId).filter(([keyId, signature]) => keyId === `ed25519:${signer.publicKey}` && verifies(object, requester.userId, keyId, signer.publicKey, signature))
          : await this.deviceSignaturesOnOwnMaster(requester.userId, object);
        if (verified.length === 0) {
          fail(targetUserId, targetKeyId, 'M_INVALID_SIGNATURE', 'No valid signature by the expected key');
          continue;
        }
        for (const [signerKeyId, signature] of verified) accepted.push({ targetUserId, targetKeyId, signerUserId: requester.userId, signerKeyId, signature });
      }
    }
    if (accepted.length > 0) {
      // Other servers hear of signatures on the user's own devices and master key; those on other users' keys are for the signer only.
      const own = accepted.filter((s) => s.targetUserId === requester.userId);
      const master = ownKey('master');
      const scope = { deviceIds: [...new Set(own.filter((s) => s.targetKeyId !== master?.publicKey).map((s) => s.targetKeyId))], signingKeys: own.some((s) => s.targetKeyId === master?.publicKey) };
      await this.recordChange(requester.userId, (tx) => tx.crossSigning.addSignatures(accepted), scope);
    }
    return { failures };
  }

  /** master_keys, self_signing_keys and (for the requester only) user_signing_keys of these users. */
  async keysFor(requesterId: string, userIds: readonly string[]): Promise<Record<'master_keys' | 'self_signing_keys' | 'user_signing_keys', Record<string, KeyObject>>> {
    const [keys, signatures] = await Promise.all([this.storage.crossSigning.keysOf(userIds), this.storage.crossSigning.signaturesOn(userIds)]);
    const result = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} } as Record<'master_keys' | 'self_signing_keys' | 'user_signing_keys', Record<string, KeyObject>>;
    for (const record of keys) {
      if (record.usage === 'user_signing' && record.userId !== requesterId) continue;
      // Signatures by other users' user-signing keys are visible to their signer only.
      const visible = signatures.filter((s) => s.targetUserId === record.userId && s.targetKeyId === record.publicKey && (s.signerUserId === record.userId || s.signerUserId === requesterId));
      result[`${record.usage}_keys`][record.userId] = withSignatures(record.key, visible);
    }
    return result;
  }

  /**
   * Master keys of other servers' users (as their servers gave them) with the signatures the
   * requester's user-signing key made on them, which only the requester sees.
   */
  async withRequesterSignatures(requesterId: string, masterKeys: Record<string, KeyObject>): Promise<Record<string, KeyObject>> {
    const userIds = Object.keys(masterKeys);
    if (requesterId === '' || userIds.length === 0) return masterKeys;
    const signatures = (await this.storage.crossSigning.signaturesOn(userIds)).filter((s) => s.signerUserId === requesterId);
    if (signatures.length === 0) return masterKeys;
    return Object.fromEntries(
      Object.entries(masterKeys).map(([userId, key]) => {
        const publicKey = Object.values((key.keys ?? {}) as Record<string, string>)[0];
        return [userId, withSignatures(key, signatures.filter((s) => s.targetUserId === userId && s.targetKeyId === publicKey))];
      }),
    );
  }

  /** Device keys with the signatures uploaded for them (by the owner's self-signing key). */
  async withDeviceSignatures(devices: Array<{ userId: string; deviceId: string; keys: KeyObject }>): Promise<Array<{ userId: string; deviceId: string; keys: KeyObject }>> {
    const signatures = await this.storage.crossSigning.signaturesOn([...new Set(devices.map((d) => d.userId))]);
    return devices.map((d) => ({ ...d, keys: withSignatures(d.keys, signatures.filter((s) => s.targetUserId === d.userId && s.targetKeyId === d.deviceId)) }));
  }

  /** Another user's cross-signing keys: stored for a local user, the master key from their server for a remote one. */
  private async keysOfOther(userId: string): Promise<CrossSigningKeyRecord[]> {
    if (!this.remote || serverNameOf(userId as UserId) === this.remote.serverName) return this.storage.crossSigning.keysOf([userId]);
    const master = (await this.remote.keys.query({ [userId]: [] })).master_keys[userId];
    try {
      return master ? [toRecord(userId, 'master', master)] : [];
    } catch {
      return [];
    }
  }

  private async deviceSignaturesOnOwnMaster(userId: string, object: KeyObject): Promise<Array<[string, string]>> {
    const verified: Array<[string, string]> = [];
    for (const [keyId, signature] of signaturesBy(object, userId)) {
      const deviceId = keyId.startsWith('ed25519:') ? keyId.slice('ed25519:'.length) : undefined;
      const deviceKeys = deviceId && (await this.storage.e2eeKeys.deviceKeys(userId, deviceId));
      const publicKey = deviceKeys && (deviceKeys.keys as Record<string, string> | undefined)?.[keyId];
      if (publicKey && verifies(object, userId, keyId, publicKey, signature)) verified.push([keyId, signature]);
    }
    return verified;
  }

  /** Commits a change to the user's keys together with its position on the device_lists stream. */
  private async recordChange(userId: string, change: (tx: Repositories) => Promise<void>, scope: DeviceListChangeScope): Promise<void> {
    await commitDeviceListChange(this.storage, this.events, userId, change, scope);
  }
}

function toRecord(userId: string, usage: CrossSigningUsage, key: KeyObject): CrossSigningKeyRecord {
  const keys = Object.entries((key.keys ?? {}) as Record<string, unknown>);
  if (key.user_id !== userId) throw new MatrixError('M_INVALID_PARAM', `The ${usage} key must belong to ${userId}`);
  if (!Array.isArray(key.usage) || !key.usage.includes(usage)) throw new MatrixError('M_INVALID_PARAM', `The ${usage} key must list "${usage}" in its usage`);
  const [entry] = keys;
  if (keys.length !== 1 || !entry || !entry[0].startsWith('ed25519:') || typeof entry[1] !== 'string' || entry[0] !== `ed25519:${entry[1]}`) {
    throw new MatrixError('M_INVALID_PARAM', `The ${usage} key must hold exactly one ed25519:<public key> entry`);
  }
  return { userId, usage, publicKey: entry[1], key };
}

function signaturesBy(object: KeyObject, userId: string): Array<[string, string]> {
  const own = (object.signatures as Record<string, Record<string, unknown>> | undefined)?.[userId] ?? {};
  return Object.entries(own).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

function verifies(object: KeyObject, userId: string, keyId: string, publicKey: string, signature: string): boolean {
  const single = { ...object, signatures: { [userId]: { [keyId]: signature } } };
  return verifyJsonSignature(single, userId, keyId, publicKey);
}

/** Whether two key objects agree on everything a signature covers (all but signatures and unsigned). */
function sameSignedContent(a: KeyObject, b: KeyObject): boolean {
  const signedPart = ({ signatures: _s, unsigned: _u, ...rest }: KeyObject) => canonicalJson(rest);
  try {
    return signedPart(a) === signedPart(b);
  } catch {
    return false;
  }
}

function withSignatures(key: KeyObject, signatures: readonly KeySignature[]): KeyObject {
  const merged = structuredClone((key.signatures ?? {}) as Record<string, Record<string, string>>);
  for (const s of signatures) (merged[s.signerUserId] ??= {})[s.signerKeyId] = s.signature;
  return { ...key, signatures: merged };
}
