import { expect } from 'chai';
import { signJson } from '../../src/core/crypto/sign-json.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../../src/core/crypto/signing-key.ts';
import { initCrypto } from '../../src/core/crypto/sodium.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

/** An Ed25519 key named the cross-signing way: its key ID is its public key. */
function crossSigningKeyPair(): SigningKey {
  const key = generateSigningKey();
  return { ...key, keyId: `ed25519:${encodePublicKey(key)}` };
}

function crossSigningKey(user: TestUser, usage: string, key: SigningKey, signer?: SigningKey) {
  const body = { user_id: user.userId, usage: [usage], keys: { [key.keyId]: encodePublicKey(key) } };
  return signer ? signJson(body, user.userId, signer) : body;
}

describe('client-server-api "Cross-signing"', function () {
  const server = useTestHomeserver({ serverName: 'xsign.test', config: { enable_registration: true } });
  const post = (user: TestUser, path: string, body: object) => rawRequest(server().baseUrl, `/_matrix/client/v3/keys/${path}`, { body, accessToken: user.accessToken });
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let master: SigningKey;
  let selfSigning: SigningKey;
  let userSigning: SigningKey;
  let upload: object;

  before(async function () {
    await initCrypto();
    [alice, bob, carol] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol')];
    [master, selfSigning, userSigning] = [crossSigningKeyPair(), crossSigningKeyPair(), crossSigningKeyPair()];
    upload = {
      master_key: crossSigningKey(alice, 'master', master),
      self_signing_key: crossSigningKey(alice, 'self_signing', selfSigning, master),
      user_signing_key: crossSigningKey(alice, 'user_signing', userSigning, master),
    };
  });

  it('accepts the first upload without UIA, and the same keys again without UIA', async function () {
    expect((await post(alice, 'device_signing/upload', upload)).status).to.equal(200);
    expect((await post(alice, 'device_signing/upload', upload)).status).to.equal(200);
  });

  it('shows master and self-signing keys to everyone and the user-signing key to its owner only', async function () {
    const own = await post(alice, 'query', { device_keys: { [alice.userId]: [] } });
    expect(own.json.master_keys[alice.userId].keys).to.deep.equal({ [master.keyId]: encodePublicKey(master) });
    expect(own.json.self_signing_keys[alice.userId].usage).to.deep.equal(['self_signing']);
    expect(own.json.user_signing_keys[alice.userId]).to.not.equal(undefined);
    const other = await post(bob, 'query', { device_keys: { [alice.userId]: [] } });
    expect(other.json.master_keys[alice.userId]).to.not.equal(undefined);
    expect(other.json.user_signing_keys).to.deep.equal({});
  });

  it('requires the password stage to replace existing keys', async function () {
    const replacement = crossSigningKeyPair();
    const body = { master_key: crossSigningKey(alice, 'master', replacement) };
    const challenged = await post(alice, 'device_signing/upload', body);
    expect(challenged.status).to.equal(401);
    expect(challenged.json.flows).to.deep.equal([{ stages: ['m.login.password'] }]);
    // Not completed here: alice keeps her master key for the tests below.
  });

  it('refuses a self-signing key the master key did not sign', async function () {
    const response = await post(carol, 'device_signing/upload', {
      master_key: crossSigningKey(carol, 'master', crossSigningKeyPair()),
      self_signing_key: crossSigningKey(carol, 'self_signing', crossSigningKeyPair(), crossSigningKeyPair()),
    });
    expect(response.status).to.equal(400);
    expect(response.json.errcode).to.equal('M_INVALID_SIGNATURE');
  });

  it('stores a device signature by the self-signing key and serves it with the device keys', async function () {
    const deviceKeys = {
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ['m.megolm.v1.aes-sha2'],
      keys: { [`ed25519:${alice.deviceId}`]: 'devicekey' },
      signatures: {},
    };
    await post(alice, 'upload', { device_keys: deviceKeys });
    const signed = signJson(deviceKeys, alice.userId, selfSigning);
    const response = await post(alice, 'signatures/upload', { [alice.userId]: { [alice.deviceId]: signed } });
    expect(response.json).to.deep.equal({ failures: {} });
    const query = await post(bob, 'query', { device_keys: { [alice.userId]: [alice.deviceId] } });
    expect(query.json.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][selfSigning.keyId]).to.equal(signed.signatures[alice.userId]![selfSigning.keyId]);
  });

  it('reports a forged signature as M_INVALID_SIGNATURE', async function () {
    const deviceKeys = (await post(alice, 'query', { device_keys: { [alice.userId]: [alice.deviceId] } })).json.device_keys[alice.userId][alice.deviceId];
    const { unsigned: _unsigned, ...plain } = deviceKeys;
    const forged = signJson({ ...plain, signatures: {} }, alice.userId, { ...crossSigningKeyPair(), keyId: selfSigning.keyId });
    const response = await post(alice, 'signatures/upload', { [alice.userId]: { [alice.deviceId]: forged } });
    expect(response.json.failures[alice.userId][alice.deviceId].errcode).to.equal('M_INVALID_SIGNATURE');
  });

  it('shows a user-signing signature on another user\'s master key to the signer only', async function () {
    const [bobMaster, bobUserSigning] = [crossSigningKeyPair(), crossSigningKeyPair()];
    await post(bob, 'device_signing/upload', { master_key: crossSigningKey(bob, 'master', bobMaster), user_signing_key: crossSigningKey(bob, 'user_signing', bobUserSigning, bobMaster) });
    const aliceMaster = (await post(bob, 'query', { device_keys: { [alice.userId]: [] } })).json.master_keys[alice.userId];
    const signed = signJson(aliceMaster, bob.userId, bobUserSigning);
    const response = await post(bob, 'signatures/upload', { [alice.userId]: { [encodePublicKey(master)]: signed } });
    expect(response.json).to.deep.equal({ failures: {} });
    const seenByBob = (await post(bob, 'query', { device_keys: { [alice.userId]: [] } })).json.master_keys[alice.userId];
    expect(seenByBob.signatures[bob.userId][bobUserSigning.keyId]).to.be.a('string');
    const seenByCarol = (await post(carol, 'query', { device_keys: { [alice.userId]: [] } })).json.master_keys[alice.userId];
    expect(seenByCarol.signatures[bob.userId]).to.equal(undefined);
  });
});
