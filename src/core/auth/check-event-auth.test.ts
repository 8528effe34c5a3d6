import { expect } from 'chai';
import { stateKeyOf } from '../events/pdu.ts';
import { checkEventAuth } from './check-event-auth.ts';
import { createKey } from './power-levels.ts';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org';
const bob = '@bob:example.org';
const carol = '@carol:other.example';

const message = (sender: string) => ({ type: 'm.room.message', sender, content: { msgtype: 'm.text', body: 'hi' } });
const topic = (sender: string) => ({ type: 'm.room.topic', sender, stateKey: '', content: { topic: 't' } });

describe('rooms "Authorization rules": the rules for every event', () => {
  describe('the create event in the auth state (v1 rule 2.4; v12 rule 2)', () => {
    for (const version of versionsFrom(1, 11)) {
      it(`v${version}: rejects an event with no m.room.create in its auth state`, () => {
        const room = TestAuthRoom.standard(version);
        const state = new Map(room.state);
        state.delete(createKey);
        expectRejected(checkEventAuth(room.build(message(alice)), state, room.rules), 'auth-events.missing-create');
        expectAllowed(room.check(message(alice)));
      });
    }

    it('v12: rejects an event whose room ID is not the create event\'s ID (rule 2)', () => {
      const room = TestAuthRoom.standard('12');
      expectAllowed(room.check(message(alice)));
      expectRejected(room.check({ ...message(alice), roomId: '!other' }), 'room-id-is-create');
      const state = new Map(room.state);
      state.delete(createKey);
      expectRejected(checkEventAuth(room.build(message(alice)), state, room.rules), 'room-id-is-create');
    });
  });

  describe('auth events from another room (v1 rule 2.5; v12 rule 3.5)', () => {
    for (const version of ['1', '6', '12']) {
      it(`v${version}: rejects when a state event it is checked against is in another room`, () => {
        const room = TestAuthRoom.standard(version);
        const state = new Map(room.state);
        const foreign = { ...room.stateEvent('m.room.power_levels')!, roomId: TestAuthRoom.standard(version).roomId };
        state.set(stateKeyOf('m.room.power_levels', ''), foreign);
        expectRejected(checkEventAuth(room.build(message(alice)), state, room.rules), 'auth-events.room-id');
        // State the rules do not read is not theirs to check.
        state.set(stateKeyOf('m.room.power_levels', ''), room.stateEvent('m.room.power_levels')!);
        state.set(stateKeyOf('m.room.topic', ''), { ...foreign, type: 'm.room.topic' });
        expectAllowed(checkEventAuth(room.build(message(alice)), state, room.rules));
      });
    }

    it('v12 numbers it 3.5, as the spec does', () => {
      const room = TestAuthRoom.standard('12');
      const state = new Map(room.state);
      state.set(stateKeyOf('m.room.power_levels', ''), { ...room.stateEvent('m.room.power_levels')!, roomId: '!elsewhere' as never });
      const verdict = checkEventAuth(room.build(message(alice)), state, room.rules);
      expect(verdict.allowed ? '' : verdict.reason).to.match(/^rule 3\.5 /);
    });
  });

  describe('m.federate (v1 rule 3; v12 rule 4)', () => {
    for (const version of ['1', '7', '12']) {
      it(`v${version}: a room with m.federate false refuses senders from other servers`, () => {
        const room = TestAuthRoom.standard(version, { createContent: { 'm.federate': false } });
        expectRejected(room.check({ type: 'm.room.member', sender: carol, stateKey: carol, content: { membership: 'join' } }), 'federate');
        expectAllowed(room.check({ type: 'm.room.member', sender: bob, stateKey: bob, content: { membership: 'join' } }));
        const federated = TestAuthRoom.standard(version, { createContent: { 'm.federate': true } });
        expectAllowed(federated.check({ type: 'm.room.member', sender: carol, stateKey: carol, content: { membership: 'join' } }));
      });
    }
  });

  describe('m.room.aliases (v1 and v3 rule 4; removed in v6)', () => {
    for (const version of versionsFrom(1, 5)) {
      it(`v${version}: allowed from the state_key's server, even from a non-member; rejected otherwise`, () => {
        const room = TestAuthRoom.standard(version);
        expectAllowed(room.check({ type: 'm.room.aliases', sender: carol, stateKey: 'other.example', content: { aliases: ['#a:other.example'] } }));
        expectRejected(room.check({ type: 'm.room.aliases', sender: carol, stateKey: 'example.org', content: { aliases: [] } }), 'aliases.domain');
        expectRejected(room.check({ type: 'm.room.aliases', sender: carol, content: { aliases: [] } }), 'aliases.no-state-key');
      });
    }

    for (const version of versionsFrom(6)) {
      it(`v${version}: an ordinary state event`, () => {
        const room = TestAuthRoom.standard(version);
        expectRejected(room.check({ type: 'm.room.aliases', sender: carol, stateKey: 'other.example', content: { aliases: [] } }), 'sender-joined');
        expectAllowed(room.check({ type: 'm.room.aliases', sender: alice, stateKey: 'other.example', content: { aliases: [] } }));
      });
    }
  });

  describe('the sender must be joined (v1 rule 6, v6 rule 5, v12 rule 6)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: rejects events from senders who are not joined`, () => {
        const room = TestAuthRoom.standard(version);
        expectRejected(room.check(message(bob)), 'sender-joined');
        room.member(alice, bob, 'invite');
        expectRejected(room.check(message(bob)), 'sender-joined');
        room.join(bob);
        expectAllowed(room.check(message(bob)));
        room.member(bob, bob, 'leave');
        expectRejected(room.check(message(bob)), 'sender-joined');
      });
    }
  });

  describe('m.room.third_party_invite (v1 rule 7, v6 rule 6)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: allowed iff the sender has the invite level`, () => {
        const room = TestAuthRoom.standard(version, { powerLevels: { invite: 10 }, users: { [carol]: 10 } });
        room.join(bob);
        room.join(carol);
        // The invite level, not the state_default (50), governs it.
        const thirdPartyInvite = (sender: string) => ({ type: 'm.room.third_party_invite', sender, stateKey: 'token', content: { public_key: 'AAAA' } });
        expectRejected(room.check(thirdPartyInvite(bob)), 'third-party-invite');
        expectAllowed(room.check(thirdPartyInvite(carol)));
      });
    }
  });

  describe("the event type's required power level (v1 rule 8, v6 rule 7)", () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: state events need state_default, messages events_default, events[type] overrides both`, () => {
        const room = TestAuthRoom.standard(version, { users: { [carol]: 20 }, powerLevels: { events_default: 10, events: { 'm.room.topic': 20, 'm.reaction': 30 } } });
        room.join(bob);
        room.join(carol);
        expectRejected(room.check(message(bob)), 'required-power');
        expectAllowed(room.check(message(carol)));
        expectRejected(room.check(topic(bob)), 'required-power');
        expectAllowed(room.check(topic(carol)));
        expectRejected(room.check({ type: 'm.reaction', sender: carol, content: {} }), 'required-power');
        expectRejected(room.check({ type: 'm.room.name', sender: carol, stateKey: '', content: { name: 'n' } }), 'required-power');
        expectAllowed(room.check({ type: 'm.room.name', sender: alice, stateKey: '', content: { name: 'n' } }));
      });

      it(`v${version}: without a power levels event, state needs 50 (the creator has ${version === '12' ? 'infinite power' : '100'})`, () => {
        const room = TestAuthRoom.create(version, alice);
        room.join(alice);
        room.send({ type: 'm.room.join_rules', sender: alice, stateKey: '', content: { join_rule: 'public' } });
        room.join(bob);
        expectRejected(room.check(topic(bob)), 'required-power');
        expectAllowed(room.check(message(bob)));
        expectAllowed(room.check(topic(alice)));
      });
    }
  });

  describe('state keys starting with @ (v1 rule 9, v6 rule 8)', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: only the user named by the state_key may send it`, () => {
        const room = TestAuthRoom.standard(version, { powerLevels: { state_default: 0 } });
        room.join(bob);
        expectAllowed(room.check({ type: 'm.custom', sender: bob, stateKey: bob, content: {} }));
        expectRejected(room.check({ type: 'm.custom', sender: bob, stateKey: alice, content: {} }), 'state-key');
        expectRejected(room.check({ type: 'm.custom', sender: alice, stateKey: bob, content: {} }), 'state-key');
        expectAllowed(room.check({ type: 'm.custom', sender: bob, stateKey: 'bob', content: {} }));
      });
    }
  });

  describe('m.room.redaction (v1 rule 11; removed in v3)', () => {
    for (const version of ['1', '2']) {
      it(`v${version}: needs the redact level, or the redacted event from the redaction's own server`, () => {
        const room = TestAuthRoom.standard(version);
        room.join(bob);
        room.join(carol);
        const own = room.send(message(carol));
        const others = room.send(message(alice));
        const redaction = (sender: string, redacts: string) => ({ type: 'm.room.redaction', sender, content: {}, redacts });
        expectAllowed(room.check(redaction(carol, own.eventId)));
        expectRejected(room.check(redaction(carol, others.eventId)), 'redaction.otherwise');
        expectAllowed(room.check(redaction(bob, others.eventId))); // same server example.org
        expectAllowed(room.check(redaction(alice, own.eventId))); // redact level
      });
    }

    for (const version of versionsFrom(3)) {
      it(`v${version}: the auth rules do not consider the redact level ("Handling redactions" does)`, () => {
        const room = TestAuthRoom.standard(version);
        room.join(carol);
        const others = room.send(message(alice));
        expectAllowed(room.check({ type: 'm.room.redaction', sender: carol, content: {}, redacts: others.eventId }));
      });
    }

    for (const version of versionsFrom(1)) {
      it(`v${version}: redactions still need their events level`, () => {
        const room = TestAuthRoom.standard(version, { powerLevels: { events: { 'm.room.redaction': 50 } } });
        room.join(carol);
        const own = room.send(message(carol));
        expectRejected(room.check({ type: 'm.room.redaction', sender: carol, content: {}, redacts: own.eventId }), 'required-power');
      });
    }
  });
});
