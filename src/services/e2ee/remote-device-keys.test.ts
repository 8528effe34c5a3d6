import { expect } from 'chai';
import { signJson } from '../../core/crypto/sign-json.ts';
import { encodePublicKey, signingKeyFromSeed, type SigningKey } from '../../core/crypto/signing-key.ts';
import { initCrypto } from '../../core/crypto/sodium.ts';
import { checkKeysClaimAnswer, checkKeysQueryAnswer, RemoteDeviceKeys, type KeysRequester } from './remote-device-keys.ts';

const bob = '@bob:b.test';
const seed = (n: number) => new Uint8Array(32).fill(n);

/** Device keys as a client uploads them: naming the user and device, signed by the device's ed25519 key. */
function deviceKeys(userId: string, deviceId: string, key: SigningKey, signAs = userId) {
  return signJson({ user_id: userId, device_id: deviceId, algorithms: ['m.megolm.v1.aes-sha2'], keys: { [`ed25519:${deviceId}`]: encodePublicKey(key), [`curve25519:${deviceId}`]: 'curve' } }, signAs, key);
}

function crossSigningKey(userId: string, usage: string, key: SigningKey, signer?: SigningKey) {
  const publicKey = encodePublicKey(key);
  const object = { user_id: userId, usage: [usage], keys: { [`ed25519:${publicKey}`]: publicKey } };
  return signer ? signJson(object, userId, { ...signer, keyId: `ed25519:${encodePublicKey(signer)}` }) : object;
}

describe('remote device keys (server-server-api "End-to-End Encryption" answers, checked)', () => {
  let device: SigningKey;
  let other: SigningKey;
  let master: SigningKey;
  let selfSigning: SigningKey;
  before(async () => {
    await initCrypto();
    device = signingKeyFromSeed('BOBDEVICE', seed(1));
    other = signingKeyFromSeed('OTHER', seed(2));
    master = signingKeyFromSeed('master', seed(3));
    selfSigning = signingKeyFromSeed('self', seed(4));
  });

  it('keeps self-signed device keys of the users and devices asked for, and drops the rest', () => {
    const good = deviceKeys(bob, 'BOBDEVICE', device);
    const answer = {
      device_keys: {
        [bob]: {
          BOBDEVICE: { ...good, unsigned: { device_display_name: 'phone' } },
          // Signed by another key than the one it names, filed under another device ID, signed for another user.
          FORGED: { ...deviceKeys(bob, 'FORGED', other), keys: { 'ed25519:FORGED': encodePublicKey(device) } },
          MISFILED: deviceKeys(bob, 'OTHER', other),
          WRONGUSER: deviceKeys('@eve:b.test', 'WRONGUSER', signingKeyFromSeed('WRONGUSER', seed(5))),
        },
        '@unasked:b.test': { OTHER: deviceKeys('@unasked:b.test', 'OTHER', other) },
      },
    };
    const checked = checkKeysQueryAnswer(answer, { [bob]: [] });
    expect(checked.device_keys).to.deep.equal({ [bob]: { BOBDEVICE: { ...good, unsigned: { device_display_name: 'phone' } } } });
    expect(checkKeysQueryAnswer(answer, { [bob]: ['OTHERDEVICE'] }).device_keys).to.deep.equal({ [bob]: {} });
    expect(checkKeysQueryAnswer('not an object', { [bob]: [] })).to.deep.equal({ device_keys: {}, master_keys: {}, self_signing_keys: {} });
  });

  it('keeps the master key of the user, and the self-signing key only when the master key signed it', () => {
    const masterKey = crossSigningKey(bob, 'master', master);
    const selfSigningKey = crossSigningKey(bob, 'self_signing', selfSigning, master);
    const checked = checkKeysQueryAnswer({ master_keys: { [bob]: masterKey }, self_signing_keys: { [bob]: selfSigningKey } }, { [bob]: [] });
    expect(checked.master_keys).to.deep.equal({ [bob]: masterKey });
    expect(checked.self_signing_keys).to.deep.equal({ [bob]: selfSigningKey });

    const unsigned = checkKeysQueryAnswer({ master_keys: { [bob]: masterKey }, self_signing_keys: { [bob]: crossSigningKey(bob, 'self_signing', selfSigning, other) } }, { [bob]: [] });
    expect(unsigned.self_signing_keys).to.deep.equal({});
    const wrongUsage = checkKeysQueryAnswer({ master_keys: { [bob]: crossSigningKey(bob, 'user_signing', master) } }, { [bob]: [] });
    expect(wrongUsage.master_keys).to.deep.equal({});
    const otherUser = checkKeysQueryAnswer({ master_keys: { [bob]: crossSigningKey('@eve:b.test', 'master', master) }, self_signing_keys: { [bob]: selfSigningKey } }, { [bob]: [] });
    expect(otherUser).to.deep.include({ master_keys: {}, self_signing_keys: {} });
  });

  it('keeps one claimed key of the asked algorithm per asked device', () => {
    const answer = {
      one_time_keys: {
        [bob]: {
          BOBDEVICE: { 'signed_curve25519:AAAA': { key: 'k1' }, 'signed_curve25519:AAAB': { key: 'k2' } },
          WRONGALGO: { 'curve25519:AAAA': 'k3' },
          UNASKED: { 'signed_curve25519:AAAA': { key: 'k4' } },
        },
      },
    };
    const asked = { [bob]: { BOBDEVICE: 'signed_curve25519', WRONGALGO: 'signed_curve25519' } };
    expect(checkKeysClaimAnswer(answer, asked)).to.deep.equal({ [bob]: { BOBDEVICE: { 'signed_curve25519:AAAA': { key: 'k1' } } } });
  });

  it('asks each server once, and names the servers that fail in failures', async () => {
    const asked: Array<{ destination: string; body?: unknown; timeoutMs?: number }> = [];
    const requester: KeysRequester = {
      async request<T>(request: { destination: string; body?: unknown; timeoutMs?: number }) {
        asked.push(request);
        if (request.destination === 'down.test') throw Object.assign(new Error('no'), { reason: 'timeout' });
        return { status: 200, json: { device_keys: { [bob]: { BOBDEVICE: deviceKeys(bob, 'BOBDEVICE', device) } } } as T };
      },
    };
    const result = await new RemoteDeviceKeys(requester).query({ [bob]: [], '@carol:b.test': ['X'], '@dan:down.test': [] }, 0);
    expect(asked.map((r) => r.destination).sort()).to.deep.equal(['b.test', 'down.test']);
    expect(asked.find((r) => r.destination === 'b.test')!.body).to.deep.equal({ device_keys: { [bob]: [], '@carol:b.test': ['X'] } });
    // A timeout of 0 from a client still gives servers a moment to answer.
    expect(asked[0]!.timeoutMs).to.equal(1_000);
    expect(Object.keys(result.device_keys[bob]!)).to.deep.equal(['BOBDEVICE']);
    expect(result.failures).to.deep.equal({ 'down.test': { status: 504, message: 'The server did not answer in time' } });
  });
});
