import { expect } from 'chai';
import { initCrypto } from '../../core/crypto/sodium.ts';
import { generateSigningKey } from '../../core/crypto/signing-key.ts';
import type { RoomId, UserId } from '../../core/ids/identifiers.ts';
import type { StoredEvent } from '../../storage/repositories/room-events.ts';
import { Storage } from '../../storage/storage.ts';
import { forEachDatabase } from '../../testing/test-databases.ts';
import type { Requester } from '../accounts/accounts.ts';
import { ClientTransactions } from '../client-transactions.ts';
import { ServerEvents } from '../server-events.ts';
import { EventStore } from './event-store.ts';
import { Membership } from './membership.ts';
import { RoomCreation } from './room-creation.ts';
import { RoomPermissions } from './room-permissions.ts';
import { RoomSending } from './room-sending.ts';
import { RoomStates } from './room-states.ts';
import { RecentEvents } from './recent-events.ts';
import { Timeline, type PersistHook } from './timeline.ts';

const user = (name: string): Requester => ({ userId: `@${name}:persister.test`, deviceId: 'DEVICE', tokenId: 0, isAdmin: false });
const message = (body: string, extra: object = {}) => ({ msgtype: 'm.text', body, ...extra });

/** The room's timeline events, oldest first, with their prev_events. */
async function timelineOf(storage: Storage, roomId: string): Promise<Array<StoredEvent & { prevEvents: string[] }>> {
  const events = await storage.roomEvents.latestEvents(roomId, 1000);
  return events.reverse().map((event) => ({ ...event, prevEvents: event.pdu.prev_events as string[] }));
}

describe('EventPersister: group commit of room events (DESIGN "The event path")', function () {
  forEachDatabase((database) => {
    let storage: Storage;
    let timeline: Timeline;
    let sending: RoomSending;
    let creation: RoomCreation;
    let membership: Membership;
    let transactions: number;
    const roomEvents: Array<{ roomId: string; position: number }> = [];
    // A persist hook that fails for marked events, as a failing write inside the transaction would.
    const poisoned: PersistHook = async (_tx, events) => {
      if (events.some(({ appended }) => appended.event.content.poison === true)) throw new Error('poisoned event');
    };

    before(async function () {
      await initCrypto();
      ({ storage } = await Storage.open(database()));
      const transaction = storage.transaction.bind(storage);
      storage.transaction = (work) => {
        transactions++;
        return transaction(work);
      };
      const events = new ServerEvents();
      events.on('roomEvent', ({ roomId, position }) => roomEvents.push({ roomId, position }));
      const eventStore = new EventStore(storage);
      const roomStates = new RoomStates(storage, eventStore);
      timeline = new Timeline(storage, eventStore, roomStates, new RecentEvents(storage, 0), events, { serverName: 'persister.test', key: generateSigningKey() }, Date.now, [poisoned]);
      membership = new Membership(storage, timeline, roomStates);
      creation = new RoomCreation(storage, timeline, membership, 'persister.test', '12');
      sending = new RoomSending(storage, 'persister.test', timeline, roomStates, eventStore, new RoomPermissions(eventStore, roomStates), new ClientTransactions(storage, Date.now));
    });
    after(() => storage.close());

    const newRoom = async (creator: Requester, ...members: Requester[]): Promise<RoomId> => {
      const roomId = await creation.createRoom(creator, { preset: 'public_chat' });
      for (const member of members) await membership.join(member, roomId);
      return roomId;
    };

    it('commits sends to many rooms in shared transactions; each room stays a chain of prev_events and positions follow commit order', async function () {
      const senders = ['a', 'b', 'c', 'd'].map(user);
      const rooms = await Promise.all(senders.map((sender) => newRoom(sender)));
      transactions = 0;
      roomEvents.length = 0;
      // Each room's sends one after another; the rooms at the same time.
      await Promise.all(
        rooms.map(async (roomId, i) => {
          for (let n = 0; n < 10; n++) await sending.sendMessage(senders[i]!, roomId, 'm.room.message', message(`${i}/${n}`), `chain-${i}-${n}`);
        }),
      );
      expect(transactions, 'group commit: fewer transactions than events').to.be.below(40);
      for (const roomId of rooms) {
        const events = await timelineOf(storage, roomId);
        const messages = events.filter((event) => event.type === 'm.room.message');
        expect(messages.map((event) => event.pdu.content)).to.deep.equal(Array.from({ length: 10 }, (_, n) => message(`${rooms.indexOf(roomId)}/${n}`)));
        for (let i = 1; i < events.length; i++) {
          expect(events[i]!.prevEvents).to.deep.equal([events[i - 1]!.eventId]);
          expect(events[i]!.depth).to.equal(events[i - 1]!.depth + 1);
        }
        expect(await storage.roomEvents.forwardExtremities(roomId)).to.deep.equal([events.at(-1)!.eventId]);
      }
      // roomEvent goes out after each commit, in position order, with no position skipped.
      const positions = roomEvents.map((event) => event.position);
      expect(positions).to.deep.equal([...positions].sort((x, y) => x - y));
      expect(positions.at(-1)! - positions[0]! + 1).to.equal(40);
    });

    it('pipelines concurrent sends to one room: all are stored once, chained, none lost', async function () {
      const alice = user('alice');
      const bob = user('bob');
      const roomId = await newRoom(alice, bob);
      const sent = await Promise.all(Array.from({ length: 30 }, (_, n) => sending.sendMessage(n % 2 ? alice : bob, roomId, 'm.room.message', message(`burst ${n}`), `burst-${n}`)));
      expect(new Set(sent.map((s) => s.event_id)).size).to.equal(30);
      const events = await timelineOf(storage, roomId);
      const ids = new Set(events.map((event) => event.eventId));
      for (const { event_id } of sent) expect(ids.has(event_id)).to.equal(true);
      for (let i = 1; i < events.length; i++) {
        expect(events[i]!.prevEvents).to.deep.equal([events[i - 1]!.eventId]);
        expect(events[i]!.streamPosition).to.be.above(events[i - 1]!.streamPosition!);
      }
      expect(await storage.roomEvents.forwardExtremities(roomId)).to.deep.equal([events.at(-1)!.eventId]);
    });

    it('"Transaction identifiers": the same txnId sent concurrently from one device makes one event', async function () {
      const carol = user('carol');
      const roomId = await newRoom(carol);
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, () => sending.sendMessage(carol, roomId, 'm.room.message', message('once'), 'same-txn')),
        ...Array.from({ length: 6 }, (_, n) => sending.sendMessage(carol, roomId, 'm.room.message', message(`other ${n}`), `other-${n}`)),
      ]);
      expect(new Set(answers.slice(0, 6).map((a) => a.event_id)).size).to.equal(1);
      const events = await timelineOf(storage, roomId);
      expect(events.filter((event) => (event.pdu.content as { body?: string }).body === 'once')).to.have.length(1);
      expect(events.filter((event) => event.type === 'm.room.message')).to.have.length(7);
    });

    it('a send the auth rules refuse fails alone; the sends around it go through', async function () {
      const dave = user('dave');
      const erin = user('erin');
      const roomId = await newRoom(dave, erin);
      const results = await Promise.allSettled([
        sending.sendMessage(dave, roomId, 'm.room.message', message('before'), 'auth-1'),
        // Only the creator may change power levels: refused by the auth rules while others commit.
        timeline.append({ roomId, type: 'm.room.power_levels', stateKey: '', sender: erin.userId as UserId, content: { users: { [erin.userId]: 100 } } }),
        sending.sendMessage(erin, roomId, 'm.room.message', message('after'), 'auth-2'),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).to.have.property('errcode', 'M_FORBIDDEN');
    });

    it('an event that fails inside the batch fails alone; events built on it are built again on what committed', async function () {
      const frank = user('frank');
      const gina = user('gina');
      const roomId = await newRoom(frank);
      const otherRoom = await newRoom(gina);
      // Appended directly, the room's events reach its lock in this order (sends first read the
      // database, which on PostgreSQL answers in any order).
      const append = (body: string, extra: object = {}) => timeline.append({ roomId, type: 'm.room.message', sender: frank.userId as UserId, content: message(body, extra) });
      const results = await Promise.allSettled([
        append('first'),
        append('poisoned', { poison: true }),
        append('second'),
        sending.sendMessage(gina, otherRoom, 'm.room.message', message('elsewhere'), 'p-4'),
        append('third'),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).to.have.property('message', 'poisoned event');
      const events = await timelineOf(storage, roomId);
      expect(events.filter((event) => event.type === 'm.room.message').map((event) => (event.pdu.content as { body: string }).body)).to.deep.equal(['first', 'second', 'third']);
      for (let i = 1; i < events.length; i++) expect(events[i]!.prevEvents).to.deep.equal([events[i - 1]!.eventId]);
      expect(await storage.roomEvents.forwardExtremities(roomId)).to.deep.equal([events.at(-1)!.eventId]);
      // A send that fails in the batch leaves no trace of its transaction ID: retrying it sends anew.
      const failed = await sending.sendMessage(frank, roomId, 'm.room.message', message('poisoned again', { poison: true }), 'p-2').catch((error: Error) => error);
      expect(failed).to.have.property('message', 'poisoned event');
      const retried = await sending.sendMessage(frank, roomId, 'm.room.message', message('poisoned, fixed'), 'p-2');
      expect((await timelineOf(storage, roomId)).at(-1)!.eventId).to.equal(retried.event_id);
    });

    it('state changes pipelined in one room are authorised against the state before them, committed or not', async function () {
      const hana = user('hana');
      const ivan = user('ivan');
      const roomId = await newRoom(hana, ivan);
      // Hana raises Ivan's power level; Ivan's name change right behind it needs that power to pass.
      const results = await Promise.allSettled([
        timeline.append({ roomId, type: 'm.room.power_levels', stateKey: '', sender: hana.userId as UserId, content: { users: { [ivan.userId]: 50 }, state_default: 50 } }),
        timeline.append({ roomId, type: 'm.room.name', stateKey: '', sender: ivan.userId as UserId, content: { name: 'Renamed by Ivan' } }),
      ]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status))).to.deep.equal(['fulfilled', 'fulfilled']);
      const name = (await timelineOf(storage, roomId)).at(-1)!;
      expect(name.type).to.equal('m.room.name');
      expect(new Set(name.pdu.auth_events as string[]).has((results[0] as PromiseFulfilledResult<{ event: { eventId: string } }>).value.event.eventId)).to.equal(true);
    });
  });
});
