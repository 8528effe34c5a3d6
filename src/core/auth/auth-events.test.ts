import { expect } from 'chai';
import { stateKeyOf, type RoomEvent } from '../events/pdu.ts';
import type { EventId } from '../ids/identifiers.ts';
import { authEventKeys, authStateFromEvents, authStateKeys, checkAuthEvents, selectAuthEvents } from './auth-events.ts';
import { checkEventAuth } from './check-event-auth.ts';
import { authorisingServerOf } from './check-membership.ts';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org';
const bob = '@bob:example.org';
const carol = '@carol:other.example';

const create = stateKeyOf('m.room.create', '');
const powerLevels = stateKeyOf('m.room.power_levels', '');
const joinRules = stateKeyOf('m.room.join_rules', '');
const memberOf = (userId: string) => stateKeyOf('m.room.member', userId);

function lookupIn(room: TestAuthRoom): (id: EventId) => RoomEvent | undefined {
  return (id) => room.events.find((event) => event.eventId === id);
}

describe('server-server-api "Auth events selection"', () => {
  const v11 = TestAuthRoom.create('11').rules;
  const v12 = TestAuthRoom.create('12').rules;
  const v7 = TestAuthRoom.create('7').rules;

  it('selects create, power levels and the sender\'s membership for any event; nothing for a create event', () => {
    expect(authEventKeys({ type: 'm.room.message', sender: bob, content: {} }, v11)).to.deep.equal([create, powerLevels, memberOf(bob)]);
    expect(authEventKeys({ type: 'm.room.topic', sender: bob, stateKey: '', content: {} }, v11)).to.deep.equal([create, powerLevels, memberOf(bob)]);
    expect(authEventKeys({ type: 'm.room.create', sender: bob, stateKey: '', content: {} }, v11)).to.deep.equal([]);
  });

  it('member events add the target, and the join rules for join, invite and knock', () => {
    for (const membership of ['join', 'invite', 'knock']) {
      expect(authEventKeys({ type: 'm.room.member', sender: alice, stateKey: bob, content: { membership } }, v11), membership).to.deep.equal([create, powerLevels, memberOf(alice), memberOf(bob), joinRules]);
    }
    for (const membership of ['leave', 'ban']) {
      expect(authEventKeys({ type: 'm.room.member', sender: alice, stateKey: bob, content: { membership } }, v11), membership).to.deep.equal([create, powerLevels, memberOf(alice), memberOf(bob)]);
    }
    expect(authEventKeys({ type: 'm.room.member', sender: bob, stateKey: bob, content: { membership: 'join' } }, v11)).to.deep.equal([create, powerLevels, memberOf(bob), joinRules]);
  });

  it('third-party invites add the m.room.third_party_invite of signed.token', () => {
    const content = { membership: 'invite', third_party_invite: { signed: { mxid: bob, token: 'tok' } } };
    expect(authEventKeys({ type: 'm.room.member', sender: alice, stateKey: bob, content }, v11)).to.include(stateKeyOf('m.room.third_party_invite', 'tok'));
  });

  it('restricted joins add the authorising user\'s membership from v8, not before', () => {
    const content = { membership: 'join', join_authorised_via_users_server: alice };
    expect(authEventKeys({ type: 'm.room.member', sender: bob, stateKey: bob, content }, v11)).to.include(memberOf(alice));
    expect(authEventKeys({ type: 'm.room.member', sender: bob, stateKey: bob, content }, v7)).not.to.include(memberOf(alice));
  });

  it('v12 leaves the create event out of auth_events, though the rules still read it', () => {
    expect(authEventKeys({ type: 'm.room.message', sender: bob, content: {} }, v12)).to.deep.equal([powerLevels, memberOf(bob)]);
    expect(authStateKeys({ type: 'm.room.message', sender: bob, content: {} }, v12)).to.deep.equal([create, powerLevels, memberOf(bob)]);
  });

  it('selectAuthEvents picks the IDs present in the state', () => {
    const room = TestAuthRoom.standard('10');
    const ids = selectAuthEvents({ type: 'm.room.member', sender: bob, stateKey: bob, content: { membership: 'join' } }, room.state, room.rules);
    expect(ids).to.deep.equal([room.stateEvent('m.room.create')!.eventId, room.stateEvent('m.room.power_levels')!.eventId, room.stateEvent('m.room.join_rules')!.eventId]);
  });

  it('names the server that must sign a restricted join (rooms/v8 4.2)', () => {
    const room = TestAuthRoom.standard('9');
    const join = room.build({ type: 'm.room.member', sender: bob, stateKey: bob, content: { membership: 'join', join_authorised_via_users_server: carol } });
    expect(authorisingServerOf(join, room.rules)).to.equal('other.example');
    expect(authorisingServerOf(join, TestAuthRoom.create('7').rules)).to.equal(undefined);
  });
});

describe('rooms "Authorization rules" rule 2 (v12: 3): the auth_events list', () => {
  for (const version of versionsFrom(1)) {
    it(`v${version}: accepts the selected auth events and authorises against them`, () => {
      const room = TestAuthRoom.standard(version);
      const join = room.join(bob);
      expectAllowed(checkAuthEvents(join, lookupIn(room), room.rules));
      const message = room.build({ type: 'm.room.message', sender: bob, content: {} });
      expectAllowed(checkAuthEvents(message, lookupIn(room), room.rules));
      const authEvents = message.authEventIds.map(lookupIn(room)).filter((event) => event !== undefined);
      const createEvent = room.rules.createInAuthEvents ? undefined : room.stateEvent('m.room.create');
      expectAllowed(checkEventAuth(message, authStateFromEvents(authEvents, createEvent), room.rules));
      expectAllowed(checkAuthEvents(room.events[0]!, lookupIn(room), room.rules));
    });

    it(`v${version}: rejects duplicates per (type, state_key), unselected entries, rejected and unknown events`, () => {
      const room = TestAuthRoom.standard(version);
      const firstPowerLevels = room.stateEvent('m.room.power_levels')!;
      room.send({ type: 'm.room.power_levels', sender: alice, stateKey: '', content: { ...firstPowerLevels.content, ban: 60 } });
      room.join(bob);
      const selected = selectAuthEvents({ type: 'm.room.message', sender: bob, content: {} }, room.state, room.rules);
      const build = (authEvents: EventId[]) => room.build({ type: 'm.room.message', sender: bob, content: {}, authEvents });
      expectRejected(checkAuthEvents(build([...selected, firstPowerLevels.eventId]), lookupIn(room), room.rules), 'auth-events.duplicates');
      expectRejected(checkAuthEvents(build([...selected, room.stateEvent('m.room.join_rules')!.eventId]), lookupIn(room), room.rules), 'auth-events.selection');
      const message = room.send({ type: 'm.room.message', sender: alice, content: {} });
      expectRejected(checkAuthEvents(build([...selected, message.eventId]), lookupIn(room), room.rules), 'auth-events.selection');
      expectRejected(checkAuthEvents(build([...selected, '$unknown:example.org' as EventId]), lookupIn(room), room.rules), 'auth-events.selection');
      const isRejected = (id: EventId) => id === room.stateEvent('m.room.power_levels')!.eventId;
      expectRejected(checkAuthEvents(build(selected), lookupIn(room), room.rules, { isRejected }), 'auth-events.rejected');
      expectRejected(checkAuthEvents({ ...room.events[0]!, authEventIds: [selected[0]!] }, lookupIn(room), room.rules), 'auth-events.selection');
    });

    it(`v${version}: rejects auth events from another room`, () => {
      const room = TestAuthRoom.standard(version);
      const other = TestAuthRoom.standard(version, { creator: '@zed:example.org' });
      const foreignPowerLevels = { ...other.stateEvent('m.room.power_levels')!, eventId: '$foreign:example.org' as EventId };
      const selected = selectAuthEvents({ type: 'm.room.message', sender: alice, content: {} }, room.state, room.rules);
      const withoutPowerLevels = selected.filter((id) => id !== room.stateEvent('m.room.power_levels')!.eventId);
      const message = room.build({ type: 'm.room.message', sender: alice, content: {}, authEvents: [...withoutPowerLevels, foreignPowerLevels.eventId] });
      const lookup = (id: EventId) => (id === foreignPowerLevels.eventId ? foreignPowerLevels : lookupIn(room)(id));
      expectRejected(checkAuthEvents(message, lookup, room.rules), 'auth-events.room-id');
    });
  }

  for (const version of versionsFrom(1, 11)) {
    it(`v${version}: rejects a list without m.room.create (2.4)`, () => {
      const room = TestAuthRoom.standard(version);
      const createId = room.stateEvent('m.room.create')!.eventId;
      const selected = selectAuthEvents({ type: 'm.room.message', sender: alice, content: {} }, room.state, room.rules);
      const message = room.build({ type: 'm.room.message', sender: alice, content: {}, authEvents: selected.filter((id) => id !== createId) });
      expectRejected(checkAuthEvents(message, lookupIn(room), room.rules), 'auth-events.missing-create');
    });
  }

  it('v12: rejects a list with m.room.create (3.2: it MUST NOT be selected)', () => {
    const room = TestAuthRoom.standard('12');
    const selected = selectAuthEvents({ type: 'm.room.message', sender: alice, content: {} }, room.state, room.rules);
    const message = room.build({ type: 'm.room.message', sender: alice, content: {}, authEvents: [room.stateEvent('m.room.create')!.eventId, ...selected] });
    const verdict = checkAuthEvents(message, lookupIn(room), room.rules);
    expectRejected(verdict, 'auth-events.selection');
    expect(verdict.allowed ? '' : verdict.reason).to.match(/^rule 3\.2 /);
  });
});
