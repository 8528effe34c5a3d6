import { expect } from 'chai';
import { authEventKeys } from '../../../core/auth/auth-events.ts';
import type { AuthState } from '../../../core/auth/check-event-auth.ts';
import type { JsonObject } from '../../../core/canonical-json.ts';
import { encodePublicKey, generateSigningKey, type SigningKey } from '../../../core/crypto/signing-key.ts';
import { initCrypto } from '../../../core/crypto/sodium.ts';
import { buildEvent } from '../../../core/events/build-event.ts';
import type { RoomEvent } from '../../../core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../../core/ids/identifiers.ts';
import { Storage } from '../../../storage/storage.ts';
import { forEachDatabase } from '../../../testing/test-databases.ts';
import type { Requester } from '../../accounts/accounts.ts';
import { ClientTransactions } from '../../client-transactions.ts';
import { EventStore } from '../../rooms/event-store.ts';
import { Membership } from '../../rooms/membership.ts';
import { RecentEvents } from '../../rooms/recent-events.ts';
import { RoomCreation } from '../../rooms/room-creation.ts';
import { RoomPermissions } from '../../rooms/room-permissions.ts';
import { RoomSending } from '../../rooms/room-sending.ts';
import { RoomStates } from '../../rooms/room-states.ts';
import { Timeline } from '../../rooms/timeline.ts';
import { ServerEvents } from '../../server-events.ts';
import { PduReceiver } from './pdu-receiver.ts';

const alice: Requester = { userId: '@alice:local.test', deviceId: 'DEV', tokenId: 0, isAdmin: false };

/**
 * server-server-api "Checks performed on receipt of a PDU", each step on events a remote server built
 * and signed (with its own key) in a room of this server: what is accepted, dropped, redacted,
 * rejected and soft-failed, and what each leaves in the timeline and the room's state.
 */
describe('PduReceiver: server-server-api "Checks performed on receipt of a PDU"', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    let eventStore: EventStore;
    let roomStates: RoomStates;
    let receiver: PduReceiver;
    let creation: RoomCreation;
    let membership: Membership;
    let sending: RoomSending;
    let remoteKey: SigningKey;
    const remote = { serverName: 'remote.test', key: undefined as unknown as SigningKey };

    before(async function () {
      await initCrypto();
      remoteKey = generateSigningKey();
      remote.key = remoteKey;
      ({ storage } = await Storage.open(database()));
      eventStore = new EventStore(storage);
      roomStates = new RoomStates(storage, eventStore);
      const timeline = new Timeline(storage, eventStore, roomStates, new RecentEvents(storage, 0), new ServerEvents(), { serverName: 'local.test', key: generateSigningKey() }, Date.now);
      membership = new Membership(storage, timeline, roomStates);
      creation = new RoomCreation(storage, timeline, membership, 'local.test', '12');
      sending = new RoomSending(storage, 'local.test', timeline, roomStates, eventStore, new RoomPermissions(eventStore, roomStates), new ClientTransactions(storage, Date.now));
      // The remote server's key, as RemoteServerKeys would answer after fetching it.
      const keys = { verifyKey: async (server: string, keyId: string) => (server === 'remote.test' && keyId === remoteKey.keyId ? encodePublicKey(remoteKey) : undefined) };
      receiver = new PduReceiver(storage, eventStore, roomStates, timeline, keys);
    });
    after(() => storage.close());

    /** An event built by remote.test on `prevEvents`, with auth events chosen from the state after them. */
    const remoteEvent = async (roomId: RoomId, draft: { type: string; stateKey?: string; sender: string; content: JsonObject; originServerTs?: number }, prevEvents: EventId[], signer = remote): Promise<RoomEvent> => {
      const rules = await eventStore.roomRules(roomId);
      const prevs = await eventStore.localEvents(prevEvents);
      const state = await roomStates.stateOfGroup([...prevs.values()][0]!.stateAfterGroup!);
      const authState = await roomStates.events(state, authEventKeys(draft, rules));
      return buildEvent(
        {
          rules,
          roomId,
          type: draft.type,
          stateKey: draft.stateKey,
          sender: draft.sender as UserId,
          content: draft.content,
          prevEvents,
          authEvents: [...(authState as AuthState).values()].map((event) => event.eventId),
          depth: Math.max(...[...prevs.values()].map((local) => local.event.depth)) + 1,
          originServerTs: draft.originServerTs ?? Date.now(),
        },
        signer,
      ).event;
    };
    const extremities = async (roomId: string) => (await storage.roomEvents.forwardExtremities(roomId)) as EventId[];
    const publicRoom = () => creation.createRoom(alice, { preset: 'public_chat' });
    const joinBob = async (roomId: RoomId) => {
      const join = await remoteEvent(roomId, { type: 'm.room.member', stateKey: '@bob:remote.test', sender: '@bob:remote.test', content: { membership: 'join' } }, await extremities(roomId));
      expect(await receiver.receive(join.pdu)).to.include({ outcome: 'accepted', eventId: join.eventId });
      return join;
    };

    it('accepts a remote join and message: they enter the timeline and the state', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      expect(await roomStates.membership(roomId, '@bob:remote.test')).to.equal('join');
      const message = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'hi from remote' } }, [join.eventId]);
      const outcome = await receiver.receive(message.pdu);
      expect(outcome).to.include({ outcome: 'accepted', redacted: false });
      expect(await extremities(roomId)).to.deep.equal([message.eventId]);
      const [latest] = await storage.roomEvents.latestEvents(roomId, 1);
      expect(latest!.eventId).to.equal(message.eventId);
      // Received again (a retried transaction): known, not stored twice.
      expect(await receiver.receive(message.pdu)).to.deep.equal({ outcome: 'known', eventId: message.eventId });
      // The next local event builds on it.
      const reply = await sending.sendMessage(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'hello bob' }, 'txn-reply');
      expect((await eventStore.localEvent(reply.event_id))!.event.prevEventIds).to.deep.equal([message.eventId]);
    });

    it('step 2: drops an event without a valid signature of its sender\'s server', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      const forged = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'forged' } }, [join.eventId], { serverName: 'remote.test', key: generateSigningKey() });
      expect(await receiver.receive(forged.pdu)).to.include({ outcome: 'dropped', reason: 'no valid signature of remote.test' });
      const signedByOther = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'other' } }, [join.eventId], { serverName: 'elsewhere.test', key: remoteKey });
      expect(await receiver.receive(signedByOther.pdu)).to.include({ outcome: 'dropped', reason: 'no signature of remote.test' });
      expect(await eventStore.localEvent(forged.eventId)).to.equal(undefined);
    });

    it('step 3: an event whose content does not match its hash is accepted redacted', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      const message = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'original' } }, [join.eventId]);
      const tampered = { ...message.pdu, content: { msgtype: 'm.text', body: 'tampered' } };
      expect(await receiver.receive(tampered)).to.include({ outcome: 'accepted', redacted: true });
      expect((await eventStore.localEvent(message.eventId))!.event.content).to.deep.equal({});
    });

    it('steps 4 and 5: rejects a message from a remote user who never joined; it is stored but not in the timeline', async function () {
      const roomId = await publicRoom();
      const before = await extremities(roomId);
      const intruder = await remoteEvent(roomId, { type: 'm.room.message', sender: '@carol:remote.test', content: { msgtype: 'm.text', body: 'let me in' } }, before);
      const outcome = await receiver.receive(intruder.pdu);
      expect(outcome.outcome).to.equal('rejected');
      const stored = await eventStore.localEvent(intruder.eventId);
      expect(stored!.rejected).to.equal(true);
      expect(stored!.streamPosition).to.equal(null);
      expect(await extremities(roomId)).to.deep.equal(before);
      expect((await storage.roomEvents.latestEvents(roomId, 5)).map((e) => e.eventId)).to.not.include(intruder.eventId);
    });

    it('step 6: soft-fails an event allowed where it was sent but not by the current state (its sender was banned meanwhile)', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      await membership.ban(alice, roomId, '@bob:remote.test');
      const late = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'sent before I saw the ban' } }, [join.eventId]);
      const outcome = await receiver.receive(late.pdu);
      expect(outcome.outcome).to.equal('soft-failed');
      const stored = await eventStore.localEvent(late.eventId);
      expect(stored!.streamPosition).to.equal(null);
      expect(await extremities(roomId)).to.not.include(late.eventId);
      expect(await roomStates.membership(roomId, '@bob:remote.test')).to.equal('ban');
    });

    it('accepts an event on an older branch: both branches stay extremities, and the next local event joins them', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      await sending.sendMessage(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'meanwhile' }, 'txn-meanwhile');
      const branch = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'on my branch' } }, [join.eventId]);
      expect((await receiver.receive(branch.pdu)).outcome).to.equal('accepted');
      expect(await extremities(roomId)).to.have.length(2).and.include(branch.eventId);
      const merged = await sending.sendMessage(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'merge' }, 'txn-merge');
      expect((await eventStore.localEvent(merged.event_id))!.event.prevEventIds).to.have.length(2).and.include(branch.eventId);
      expect(await extremities(roomId)).to.deep.equal([merged.event_id]);
    });

    it('a state change on a branch is resolved into the current state', async function () {
      const roomId = await publicRoom();
      const join = await joinBob(roomId);
      await sending.sendMessage(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'meanwhile' }, 'txn-branch-state');
      // bob leaves on his branch: the resolved current state has him gone (rooms/v2 "State resolution"
      // orders these two by origin_server_ts, so the leave is sent visibly later than the join).
      const leave = await remoteEvent(roomId, { type: 'm.room.member', stateKey: '@bob:remote.test', sender: '@bob:remote.test', content: { membership: 'leave' }, originServerTs: Date.now() + 1000 }, [join.eventId]);
      expect((await receiver.receive(leave.pdu)).outcome).to.equal('accepted');
      expect(await roomStates.membership(roomId, '@bob:remote.test')).to.equal('leave');
      // current_state (what membership queries read) follows the resolution too.
      const rows = await storage.roomEvents.roomsOfUser('@bob:remote.test', ['join', 'leave']);
      expect(rows.find((row) => row.roomId === roomId)?.membership).to.equal('leave');
    });

    it('step 1: drops what is not a valid event of a room this server is in, and an event whose prev events are unknown', async function () {
      const roomId = await publicRoom();
      expect(await receiver.receive({ type: 'm.room.message' })).to.include({ outcome: 'dropped' });
      expect(await receiver.receive('not an object')).to.include({ outcome: 'dropped' });
      const join = await joinBob(roomId);
      const message = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'x' } }, [join.eventId]);
      expect(await receiver.receive({ ...message.pdu, room_id: '!unknown:remote.test' })).to.include({ outcome: 'dropped', reason: 'not in room !unknown:remote.test' });
      expect(await receiver.receive({ ...message.pdu, depth: 'deep' })).to.include({ outcome: 'dropped' });
      const orphan = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'orphan' } }, [join.eventId]);
      const unknownPrev = { ...orphan.pdu, prev_events: ['$unknown-event-id-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'] };
      // Changed after signing, it fails the signature check already: dropped either way.
      expect((await receiver.receive(unknownPrev)).outcome).to.equal('dropped');
      const signedOrphan = await remoteEvent(roomId, { type: 'm.room.message', sender: '@bob:remote.test', content: { msgtype: 'm.text', body: 'orphan' } }, [join.eventId]);
      const rebuilt = buildEvent(
        { rules: await eventStore.roomRules(roomId), roomId, type: 'm.room.message', sender: '@bob:remote.test' as UserId, content: { msgtype: 'm.text', body: 'orphan' }, prevEvents: [`$${'A'.repeat(43)}` as EventId], authEvents: signedOrphan.authEventIds, depth: 10, originServerTs: Date.now() },
        remote,
      );
      expect(await receiver.receive(rebuilt.pdu)).to.include({ outcome: 'dropped', reason: 'prev events unknown here' });
    });
  });
});
