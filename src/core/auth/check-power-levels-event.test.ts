import type { JsonObject } from '../canonical-json.ts';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org'; // creator
const bob = '@bob:example.org'; // moderator, 50
const carol = '@carol:other.example'; // 10
const dave = '@dave:example.org'; // 50

const powerLevels = (sender: string, content: JsonObject) => ({ type: 'm.room.power_levels', sender, stateKey: '', content });

/** A room where bob and dave are at 50, carol at 10, and bob may send power levels. */
function roomWithModerator(version: string, extra: JsonObject = {}): TestAuthRoom {
  const room = TestAuthRoom.standard(version, { users: { [bob]: 50, [carol]: 10, [dave]: 50 }, powerLevels: { events: { 'm.room.power_levels': 50 }, ...extra } });
  room.join(bob);
  room.join(carol);
  room.join(dave);
  return room;
}

/** The current power levels content with `changes` applied (a value of undefined removes a key). */
function changed(room: TestAuthRoom, changes: JsonObject): JsonObject {
  const content: JsonObject = { ...room.stateEvent('m.room.power_levels')!.content, ...changes };
  for (const [key, value] of Object.entries(content)) if (value === undefined) delete content[key];
  return content;
}

/** The current power levels content with `changes` applied to users (undefined removes a user). */
function users(room: TestAuthRoom, changes: Record<string, unknown>): JsonObject {
  const map: JsonObject = { ...(room.stateEvent('m.room.power_levels')!.content.users as JsonObject), ...changes };
  for (const [userId, level] of Object.entries(map)) if (level === undefined) delete map[userId];
  return changed(room, { users: map });
}

describe('rooms "Authorization rules": m.room.power_levels (v1 rule 10, v6 rule 9, v12 rule 10)', () => {
  describe('the users map (v1 10.1, v10 9.3)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: rejects keys that are not user IDs and values that are not power levels`, () => {
        const room = roomWithModerator(version);
        expectRejected(room.check(powerLevels(alice, users(room, { bob: 5 }))), 'power-levels.users');
        expectRejected(room.check(powerLevels(alice, users(room, { [dave]: 'lots' }))), 'power-levels.users');
        expectRejected(room.check(powerLevels(alice, users(room, { [dave]: null }))), 'power-levels.users');
        expectRejected(room.check(powerLevels(alice, changed(room, { users: [alice] }))), 'power-levels.users');
        expectAllowed(room.check(powerLevels(alice, users(room, { [dave]: 20 }))));
        expectAllowed(room.check(powerLevels(alice, changed(room, { users: undefined }))));
      });
    }

    for (const version of versionsFrom(1, 9)) {
      it(`v${version}: accepts string and float power levels (rooms/v1 "accept values as strings", "as floats")`, () => {
        const room = roomWithModerator(version);
        expectAllowed(room.check(powerLevels(alice, users(room, { [dave]: ' +020 ' }))));
        expectAllowed(room.check(powerLevels(alice, users(room, { [dave]: 20.7 }))));
        expectRejected(room.check(powerLevels(alice, users(room, { [dave]: '20.5' }))), 'power-levels.users');
        expectAllowed(room.check(powerLevels(alice, changed(room, { ban: '60', events_default: '0' }))));
      });

      it(`v${version}: "50" and 50 are the same level, so bob leaves his peer dave's "50" alone`, () => {
        const room = roomWithModerator(version);
        room.send(powerLevels(alice, users(room, { [dave]: '50' })));
        expectAllowed(room.check(powerLevels(bob, users(room, { [dave]: 50, [carol]: 20 }))));
        expectRejected(room.check(powerLevels(bob, users(room, { [dave]: 49 }))), 'power-levels.users-removed');
      });
    }

    for (const version of versionsFrom(10)) {
      it(`v${version}: only integers (rooms/v10 9.1–9.3)`, () => {
        const room = roomWithModerator(version);
        expectRejected(room.check(powerLevels(alice, users(room, { [dave]: '20' }))), 'power-levels.users');
        expectRejected(room.check(powerLevels(alice, users(room, { [dave]: 20.5 }))), 'power-levels.users');
        expectRejected(room.check(powerLevels(alice, changed(room, { ban: '60' }))), 'power-levels.named-integers');
        expectRejected(room.check(powerLevels(alice, changed(room, { users_default: 1.5 }))), 'power-levels.named-integers');
        expectRejected(room.check(powerLevels(alice, changed(room, { events: { 'm.room.name': '50' } }))), 'power-levels.maps-integers');
        expectRejected(room.check(powerLevels(alice, changed(room, { notifications: { room: '50' } }))), 'power-levels.maps-integers');
        expectRejected(room.check(powerLevels(alice, changed(room, { events: 50 }))), 'power-levels.maps-integers');
        expectAllowed(room.check(powerLevels(alice, changed(room, { ban: 60, events: { 'm.room.name': 50 }, notifications: { room: 20 } }))));
      });
    }
  });

  describe('the first power levels event (v1 10.2)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: is allowed whatever levels it sets`, () => {
        const room = TestAuthRoom.create(version, alice);
        room.join(alice);
        const users = version === '12' ? { [bob]: 1000 } : { [alice]: 100, [bob]: 1000 };
        expectAllowed(room.check(powerLevels(alice, { users, ban: 9000, events: { 'm.room.topic': 9000 } })));
      });
    }
  });

  describe('users_default, events_default, state_default, ban, redact, kick, invite (v1 10.3)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: may not be changed from or to a level above the sender's`, () => {
        const room = roomWithModerator(version, { ban: 75, kick: 40 });
        expectAllowed(room.check(powerLevels(bob, changed(room, { kick: 50 }))));
        expectAllowed(room.check(powerLevels(bob, changed(room, { kick: undefined }))));
        expectRejected(room.check(powerLevels(bob, changed(room, { kick: 51 }))), 'power-levels.named');
        expectRejected(room.check(powerLevels(bob, changed(room, { ban: 50 }))), 'power-levels.named');
        expectRejected(room.check(powerLevels(bob, changed(room, { ban: undefined }))), 'power-levels.named');
        expectRejected(room.check(powerLevels(bob, changed(room, { users_default: 60 }))), 'power-levels.named');
        expectAllowed(room.check(powerLevels(bob, changed(room, { ban: 75, invite: 50, redact: 20 }))));
      });
    }
  });

  describe('events (v1 10.4, 10.5) and notifications (from v6)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: entries above the sender's level may not be changed, added or removed`, () => {
        const room = roomWithModerator(version, { events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100 } });
        const events = (extra: JsonObject) => changed(room, { events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100, ...extra } });
        expectAllowed(room.check(powerLevels(bob, events({ 'm.room.topic': 50 }))));
        expectRejected(room.check(powerLevels(bob, events({ 'm.room.topic': 51 }))), 'power-levels.events-added');
        expectRejected(room.check(powerLevels(bob, events({ 'm.room.tombstone': 50 }))), 'power-levels.events-removed');
        expectRejected(room.check(powerLevels(bob, changed(room, { events: { 'm.room.power_levels': 50 } }))), 'power-levels.events-removed');
        expectAllowed(room.check(powerLevels(bob, events({ constructor: 10 }))));
      });
    }

    for (const version of versionsFrom(1, 5)) {
      it(`v${version}: notifications are not checked`, () => {
        const room = roomWithModerator(version, { notifications: { room: 100 } });
        expectAllowed(room.check(powerLevels(bob, changed(room, { notifications: { room: 0, other: 99 } }))));
      });
    }

    for (const version of versionsFrom(6)) {
      it(`v${version}: notifications are checked like events (rooms/v6 9.4, 9.5)`, () => {
        const room = roomWithModerator(version, { notifications: { room: 100 } });
        expectRejected(room.check(powerLevels(bob, changed(room, { notifications: { room: 0 } }))), 'power-levels.events-removed');
        expectRejected(room.check(powerLevels(bob, changed(room, { notifications: { room: 100, other: 99 } }))), 'power-levels.events-added');
        expectAllowed(room.check(powerLevels(bob, changed(room, { notifications: { room: 100, other: 50 } }))));
      });
    }
  });

  describe('users (v1 10.6, 10.7)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: others at or above the sender's level stay; nobody is raised above it`, () => {
        const room = roomWithModerator(version);
        expectAllowed(room.check(powerLevels(bob, users(room, { [carol]: 50 }))));
        expectAllowed(room.check(powerLevels(bob, users(room, { [carol]: undefined }))));
        expectAllowed(room.check(powerLevels(bob, users(room, { '@new:example.org': 50 }))));
        expectRejected(room.check(powerLevels(bob, users(room, { [carol]: 51 }))), 'power-levels.users-added');
        expectRejected(room.check(powerLevels(bob, users(room, { [dave]: 10 }))), 'power-levels.users-removed');
        expectRejected(room.check(powerLevels(bob, users(room, { [bob]: 60 }))), 'power-levels.users-added');
        expectAllowed(room.check(powerLevels(bob, users(room, { [bob]: 10 }))));
      });
    }

    for (const version of versionsFrom(1, 11)) {
      it(`v${version}: the creator is listed like anyone: a peer at 100 cannot demote them, they can demote themselves`, () => {
        const room = roomWithModerator(version);
        room.send(powerLevels(alice, users(room, { [dave]: 100 })));
        expectRejected(room.check(powerLevels(dave, users(room, { [alice]: 0 }))), 'power-levels.users-removed');
        expectAllowed(room.check(powerLevels(alice, users(room, { [alice]: 0 }))));
      });
    }
  });

  describe('room creators (rooms/v12 10.4)', () => {
    it('v12: the creators may not be listed in users', () => {
      const room = TestAuthRoom.standard('12', { users: { [bob]: 100 }, createContent: { additional_creators: [dave] } });
      room.join(bob);
      expectRejected(room.check(powerLevels(alice, users(room, { [alice]: 100 }))), 'power-levels.creators');
      expectRejected(room.check(powerLevels(alice, users(room, { [dave]: 0 }))), 'power-levels.creators');
      expectAllowed(room.check(powerLevels(alice, users(room, { [bob]: 9000 }))));
      expectRejected(room.check(powerLevels(bob, users(room, { [carol]: 101 }))), 'power-levels.users-added');
    });

    it('v12: even the first power levels event may not list a creator', () => {
      const room = TestAuthRoom.create('12', alice);
      room.join(alice);
      expectRejected(room.check(powerLevels(alice, { users: { [alice]: 100 } })), 'power-levels.creators');
    });

    it('v11: additional_creators is just content', () => {
      const room = TestAuthRoom.standard('11', { createContent: { additional_creators: [dave] } });
      expectAllowed(room.check(powerLevels(alice, users(room, { [dave]: 0 }))));
    });
  });
});
