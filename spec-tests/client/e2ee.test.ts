import { expect } from 'chai';
import { EventType, MsgType, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { CrossSigningKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser } from '../harness/accounts.ts';
import { CryptoClients, passwordAuthentication, waitFor, waitForDeviceListsSettled, type CryptoTestClient } from '../harness/crypto-clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

/** The first event of `roomId` in the client's live timeline whose (decrypted) body is `body`. */
function eventWithBody(client: MatrixClient, roomId: string, body: string): MatrixEvent | undefined {
  return client
    .getRoom(roomId)
    ?.getLiveTimeline()
    .getEvents()
    .find((event) => event.getType() === EventType.RoomMessage && event.getContent().body === body);
}

function isJoined(client: MatrixClient, roomId: string, userId: string): boolean {
  return client.getRoom(roomId)?.getMember(userId)?.membership === 'join';
}

/** The client's own upload of device keys (with one-time keys), once the server has answered it. */
function deviceKeysUpload({ requests }: CryptoTestClient) {
  return requests.find((r) => r.path.endsWith('/keys/upload') && r.status === 200 && (r.body as { device_keys?: unknown })?.device_keys !== undefined);
}

for (const engine of testEngines) {
  describe(`client-server-api "End-to-End Encryption" with matrix-js-sdk Rust crypto clients on ${engine}`, function () {
    this.timeout(30_000);
    // Clients stop before the server does (after() hooks run in the order they are declared).
    const clients = new CryptoClients();
    after(() => clients.stopAll());
    const server = useTestHomeserver({ serverName: 'e2ee.test', engine, config: { enable_registration: true } });
    const queryKeys = async (as: CryptoTestClient, userId: string) =>
      (await rawRequest(server().baseUrl, '/_matrix/client/v3/keys/query', { body: { device_keys: { [userId]: [] } }, accessToken: as.user.accessToken })).json;
    let alice: CryptoTestClient;
    let bob: CryptoTestClient;
    let encryptedRoom: string;

    it('a client starts with Rust crypto: initial sync reaches PREPARED and its device keys are uploaded ("Uploading keys")', async function () {
      const [aliceUser, bobUser] = await Promise.all([registerUser(server(), 'alice'), registerUser(server(), 'bob')]);
      [alice, bob] = await Promise.all([clients.start(server(), aliceUser), clients.start(server(), bobUser)]);
      const upload = await waitFor(alice.client, 'the device keys upload', () => deviceKeysUpload(alice));
      expect(Object.keys((upload.body as { one_time_keys?: object }).one_time_keys ?? {})).to.not.be.empty;
      await waitFor(bob.client, 'the device keys upload', () => deviceKeysUpload(bob));

      const own = await alice.client.getCrypto()!.getOwnDeviceKeys();
      const seen = (await queryKeys(bob, alice.user.userId)).device_keys[alice.user.userId][alice.user.deviceId];
      expect(seen.keys).to.deep.equal({ [`curve25519:${alice.user.deviceId}`]: own.curve25519, [`ed25519:${alice.user.deviceId}`]: own.ed25519 });
      expect(seen.algorithms).to.include('m.megolm.v1.aes-sha2');
      expect(seen.signatures[alice.user.userId]).to.have.property(`ed25519:${alice.user.deviceId}`);
    });

    it('two clients converse in an unencrypted room, each seeing the other\'s messages through /sync', async function () {
      const { room_id: roomId } = await alice.client.createRoom({ name: 'Plain', invite: [bob.user.userId] });
      await waitFor(bob.client, 'the invite', () => bob.client.getRoom(roomId)?.getMyMembership() === 'invite');
      await bob.client.joinRoom(roomId);
      await waitFor(alice.client, 'bob\'s join', () => isJoined(alice.client, roomId, bob.user.userId));
      await alice.client.sendTextMessage(roomId, 'hello bob');
      const received = await waitFor(bob.client, 'alice\'s message', () => eventWithBody(bob.client, roomId, 'hello bob'));
      expect(received.getSender()).to.equal(alice.user.userId);
      expect(received.isEncrypted()).to.equal(false);
      await bob.client.sendTextMessage(roomId, 'hello alice');
      expect((await waitFor(alice.client, 'bob\'s reply', () => eventWithBody(alice.client, roomId, 'hello alice'))).getSender()).to.equal(bob.user.userId);
    });

    it('messages in an m.megolm.v1.aes-sha2 room are decrypted by the other user and stored as m.room.encrypted ("Messaging Algorithms")', async function () {
      const { room_id: roomId } = await alice.client.createRoom({
        name: 'Secret',
        invite: [bob.user.userId],
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
      encryptedRoom = roomId;
      await waitFor(bob.client, 'the invite', () => bob.client.getRoom(roomId)?.getMyMembership() === 'invite');
      await bob.client.joinRoom(roomId);
      await waitFor(alice.client, 'bob\'s join', () => isJoined(alice.client, roomId, bob.user.userId));
      expect(await alice.client.getCrypto()!.isEncryptionEnabledInRoom(roomId)).to.equal(true);

      await alice.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'secret from alice' });
      const received = await waitFor(bob.client, 'alice\'s decrypted message', () => eventWithBody(bob.client, roomId, 'secret from alice'));
      expect(received.getWireType()).to.equal('m.room.encrypted');
      expect(received.isDecryptionFailure()).to.equal(false);
      expect(received.getClearContent()).to.include({ msgtype: 'm.text', body: 'secret from alice' });
      expect(received.getSender()).to.equal(alice.user.userId);

      await bob.client.sendMessage(roomId, { msgtype: MsgType.Text, body: 'secret from bob' });
      const reply = await waitFor(alice.client, 'bob\'s decrypted reply', () => eventWithBody(alice.client, roomId, 'secret from bob'));
      expect(reply.getWireType()).to.equal('m.room.encrypted');

      // What the server stored: ciphertext only.
      const messages = await rawRequest(server().baseUrl, `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, { accessToken: bob.user.accessToken });
      const chat = messages.json.chunk.filter((e: { state_key?: string }) => e.state_key === undefined);
      expect(chat.map((e: { type: string }) => e.type)).to.deep.equal(['m.room.encrypted', 'm.room.encrypted']);
      for (const event of chat) expect(event.content).to.include.keys('algorithm', 'ciphertext', 'session_id');
      expect(chat[0].content.algorithm).to.equal('m.megolm.v1.aes-sha2');
      expect(messages.text).to.not.include('secret from');
    });

    it('a device added later learns of the room keys for messages sent after it appeared ("Tracking the device list for a user")', async function () {
      const phone = await clients.start(server(), await loginUser(server(), bob.user, 'BOBPHONE'));
      await waitFor(phone.client, 'the device keys upload', () => deviceKeysUpload(phone));
      // Alice's client hears of the new device through device_lists.changed in its /sync, then queries it.
      await waitFor(alice.client, 'bob\'s new device in alice\'s device list', async () =>
        (await alice.client.getCrypto()!.getUserDeviceInfo([bob.user.userId])).get(bob.user.userId)?.has('BOBPHONE'),
      );
      await alice.client.sendMessage(encryptedRoom, { msgtype: MsgType.Text, body: 'for both of bob\'s devices' });
      const onPhone = await waitFor(phone.client, 'the message on the new device', () => eventWithBody(phone.client, encryptedRoom, 'for both of bob\'s devices'));
      expect(onPhone.getWireType()).to.equal('m.room.encrypted');
      expect(onPhone.isDecryptionFailure()).to.equal(false);
      await waitFor(bob.client, 'the message on the first device', () => eventWithBody(bob.client, encryptedRoom, 'for both of bob\'s devices'));
    });

    it('cross-signing keys set up by one user are visible to the other, and replacing them needs UIA ("Cross-signing")', async function () {
      const crypto = alice.client.getCrypto()!;
      const rounds = { count: 0 };
      await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuthentication(alice.user, rounds) });
      // A first upload needs no authentication (the user has no master key yet).
      expect(rounds.count).to.equal(0);
      const master = await crypto.getCrossSigningKeyId(CrossSigningKey.Master);
      const selfSigning = await crypto.getCrossSigningKeyId(CrossSigningKey.SelfSigning);
      expect(master).to.be.a('string');

      const query = await queryKeys(bob, alice.user.userId);
      expect(Object.values(query.master_keys[alice.user.userId].keys)).to.deep.equal([master]);
      expect(Object.values(query.self_signing_keys[alice.user.userId].keys)).to.deep.equal([selfSigning]);
      expect(query.user_signing_keys ?? {}).to.not.have.property(alice.user.userId);
      // Alice's device is signed by her self-signing key.
      expect(query.device_keys[alice.user.userId][alice.user.deviceId].signatures[alice.user.userId]).to.have.property(`ed25519:${selfSigning}`);
      await waitFor(bob.client, 'alice\'s cross-signing keys on bob\'s client', () => bob.client.getCrypto()!.userHasCrossSigningKeys(alice.user.userId, true));

      // Before replacing the keys, alice's client must have heard of all her changes so far: a key query still
      // to come would answer with the old keys during the upload of the new ones, and the Rust crypto would drop them.
      await waitForDeviceListsSettled(alice, [alice.user.userId]);

      // Replacing the keys: the server asks for the password, and bob's client notices the new identity.
      await crypto.bootstrapCrossSigning({ setupNewCrossSigning: true, authUploadDeviceSigningKeys: passwordAuthentication(alice.user, rounds) });
      expect(rounds.count).to.equal(1);
      // Alice's client takes the new keys as its own once it has seen them published (device_lists.changed lists alice).
      const newMaster = await waitFor(alice.client, 'alice\'s new master key on her client', async () => {
        const current = await crypto.getCrossSigningKeyId(CrossSigningKey.Master);
        return current !== master && current;
      });
      expect(Object.values((await queryKeys(bob, alice.user.userId)).master_keys[alice.user.userId].keys)).to.deep.equal([newMaster]);
      await waitFor(bob.client, 'alice\'s identity change on bob\'s client', async () => (await bob.client.getCrypto()!.getUserVerificationStatus(alice.user.userId)).needsUserApproval);
    });
  });
}
