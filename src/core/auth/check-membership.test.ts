import { expect } from 'chai';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org'; // creator, power 100 (infinite in v12)
const bob = '@bob:example.org';
const carol = '@carol:other.example';
const dave = '@dave:example.org';

const member = (sender: string, target: string, membership: unknown, content = {}) => ({
  type: 'm.room.member',
  sender,
  stateKey: target,
  content: { membership, ...content },
});

describe('rooms "Authorization rules": m.room.member (v1 rule 5, v6 rule 4, v12 rule 5)', () => {
  describe('missing fields (5.1 / 4.1)', () => {
    for (const version of ['1', '6', '12']) {
      it(`v${version}: rejects a member event without state_key or membership`, () => {
        const room = TestAuthRoom.standard(version);
        expectRejected(room.check({ type: 'm.room.member', sender: bob, content: { membership: 'join' } }), 'member.fields');
        expectRejected(room.check({ type: 'm.room.member', sender: bob, stateKey: bob, content: {} }), 'member.fields');
        expectAllowed(room.check(member(bob, bob, 'join')));
      });
    }
  });

  describe('join', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: the creator's first join (only prev event the create event) is allowed, another's not`, () => {
        const room = TestAuthRoom.create(version, alice);
        expectAllowed(room.check(member(alice, alice, 'join')));
        // No join rules yet: it reads as `invite`, so anyone else's join is refused.
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.otherwise');
      });

      it(`v${version}: rejects a join whose sender is not the state_key, or who is banned`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'public' });
        expectRejected(room.check(member(alice, bob, 'join')), 'member.join.not-self');
        room.join(bob);
        room.member(alice, bob, 'ban');
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.banned');
      });

      it(`v${version}: public join rule allows anyone; invite join rule only the invited or joined`, () => {
        expectAllowed(TestAuthRoom.standard(version, { joinRule: 'public' }).check(member(bob, bob, 'join')));
        const room = TestAuthRoom.standard(version, { joinRule: 'invite' });
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.otherwise');
        room.member(alice, bob, 'invite');
        expectAllowed(room.check(member(bob, bob, 'join')));
        room.join(bob);
        expectAllowed(room.check(member(bob, bob, 'join', { displayname: 'Bob' })));
      });
    }

    it('v1–v10: the creator is content.creator; v11+: the create event\'s sender', () => {
      for (const version of versionsFrom(1, 10)) {
        const room = TestAuthRoom.create(version, alice, { creator: bob });
        expectAllowed(room.check(member(bob, bob, 'join')));
        expectRejected(room.check(member(alice, alice, 'join')), 'member.join.otherwise');
      }
      for (const version of ['11', '12']) {
        const room = TestAuthRoom.create(version, alice, { creator: bob });
        expectAllowed(room.check(member(alice, alice, 'join')));
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.otherwise');
      }
    });

    it('the creator rule needs the create event as the only prev event', () => {
      const room = TestAuthRoom.create('10', alice);
      const create = room.events[0]!;
      expectRejected(room.check({ ...member(alice, alice, 'join'), prevEvents: [create.eventId, '$other:example.org' as never] }), 'member.join.otherwise');
    });

    for (const version of versionsFrom(1, 6)) {
      it(`v${version}: a knock join rule admits nobody, not even the invited`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock' });
        room.member(alice, bob, 'invite');
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.otherwise');
      });
    }

    for (const version of versionsFrom(7)) {
      it(`v${version}: a knock join rule admits the invited (4.2.4 changed in v7)`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock' });
        expectRejected(room.check(member(bob, bob, 'join')), 'member.join.otherwise');
        room.member(alice, bob, 'invite');
        expectAllowed(room.check(member(bob, bob, 'join')));
      });
    }
  });

  describe('restricted joins (rooms/v8 4.3.5; knock_restricted from v10)', () => {
    for (const version of versionsFrom(8)) {
      it(`v${version}: restricted: the invited join; others need a joined authorising user with invite power`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'public', users: { [bob]: 50 }, powerLevels: { invite: 50 } });
        room.join(bob);
        room.join(dave);
        room.send({ type: 'm.room.join_rules', sender: alice, stateKey: '', content: { join_rule: 'restricted', allow: [] } });
        expectRejected(room.check(member(carol, carol, 'join')), 'member.join.restricted.authorising-user');
        expectAllowed(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: bob })));
        expectRejected(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: dave })), 'member.join.restricted.authorising-user');
        expectRejected(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: '@nobody:example.org' })), 'member.join.restricted.authorising-user');
        room.member(bob, carol, 'invite');
        expectAllowed(room.check(member(carol, carol, 'join')));
      });

      it(`v${version}: restricted: the authorising user must still be joined`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'restricted' });
        room.forceMember(bob, 'leave');
        expectRejected(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: bob })), 'member.join.restricted.authorising-user');
        expectAllowed(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: alice })));
      });
    }

    for (const version of versionsFrom(1, 7)) {
      it(`v${version}: restricted is an unknown join rule`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'restricted' });
        expectRejected(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: alice })), 'member.join.otherwise');
      });
    }

    for (const version of versionsFrom(10)) {
      it(`v${version}: knock_restricted admits joins authorised like restricted ones`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock_restricted' });
        expectAllowed(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: alice })));
        expectRejected(room.check(member(carol, carol, 'join')), 'member.join.restricted.authorising-user');
      });
    }

    for (const version of ['8', '9']) {
      it(`v${version}: knock_restricted is an unknown join rule`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock_restricted' });
        expectRejected(room.check(member(carol, carol, 'join', { join_authorised_via_users_server: alice })), 'member.join.otherwise');
      });
    }
  });

  describe('invite', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: a joined sender at the invite level invites; a non-member cannot`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'invite' });
        expectAllowed(room.check(member(alice, bob, 'invite')));
        expectRejected(room.check(member(carol, bob, 'invite')), 'member.invite.sender-not-joined');
      });

      it(`v${version}: rejects inviting a joined or banned user`, () => {
        const room = TestAuthRoom.standard(version);
        room.join(bob);
        expectRejected(room.check(member(alice, bob, 'invite')), 'member.invite.target-joined-or-banned');
        room.member(alice, bob, 'ban');
        expectRejected(room.check(member(alice, bob, 'invite')), 'member.invite.target-joined-or-banned');
        room.member(alice, bob, 'leave');
        expectAllowed(room.check(member(alice, bob, 'invite')));
      });

      it(`v${version}: rejects a sender below the invite level`, () => {
        const room = TestAuthRoom.standard(version, { powerLevels: { invite: 50 }, users: { [dave]: 50 } });
        room.join(bob);
        room.join(dave);
        expectRejected(room.check(member(bob, carol, 'invite')), 'member.invite.otherwise');
        expectAllowed(room.check(member(dave, carol, 'invite')));
      });
    }
  });

  describe('leave', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: one leaves from join or invite, not from leave or ban`, () => {
        const room = TestAuthRoom.standard(version);
        room.join(bob);
        expectAllowed(room.check(member(bob, bob, 'leave')));
        room.member(alice, carol, 'invite');
        expectAllowed(room.check(member(carol, carol, 'leave')));
        expectRejected(room.check(member(dave, dave, 'leave')), 'member.leave.self');
        room.member(bob, bob, 'leave');
        expectRejected(room.check(member(bob, bob, 'leave')), 'member.leave.self');
        room.member(alice, bob, 'ban');
        expectRejected(room.check(member(bob, bob, 'leave')), 'member.leave.self');
      });

      it(`v${version}: kicks need a joined sender at the kick level above the target`, () => {
        const room = TestAuthRoom.standard(version, { users: { [bob]: 50, [dave]: 50 } });
        room.join(bob);
        room.join(carol);
        room.join(dave);
        expectRejected(room.check(member('@out:example.org', carol, 'leave')), 'member.leave.sender-not-joined');
        expectAllowed(room.check(member(bob, carol, 'leave')));
        expectRejected(room.check(member(carol, bob, 'leave')), 'member.leave.otherwise');
        expectRejected(room.check(member(bob, dave, 'leave')), 'member.leave.otherwise');
        expectAllowed(room.check(member(alice, dave, 'leave')));
      });

      it(`v${version}: unbanning needs the ban level as well as the kick level`, () => {
        const room = TestAuthRoom.standard(version, { users: { [bob]: 50 }, powerLevels: { kick: 50, ban: 75 } });
        room.join(bob);
        room.member(alice, carol, 'ban');
        expectRejected(room.check(member(bob, carol, 'leave')), 'member.leave.target-banned');
        expectAllowed(room.check(member(alice, carol, 'leave')));
      });
    }

    it('v1–v6: cannot leave from knock; v7+: can (4.4.1 changed in v7)', () => {
      for (const version of versionsFrom(1, 12)) {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock' });
        room.forceMember(bob, 'knock');
        const verdict = room.check(member(bob, bob, 'leave'));
        if (Number(version) >= 7) expectAllowed(verdict);
        else expectRejected(verdict, 'member.leave.self');
      }
    });
  });

  describe('ban', () => {
    for (const version of versionsFrom(1)) {
      it(`v${version}: a joined sender at the ban level bans users below them`, () => {
        const room = TestAuthRoom.standard(version, { users: { [bob]: 50, [dave]: 50 } });
        room.join(bob);
        room.join(dave);
        expectAllowed(room.check(member(bob, carol, 'ban')));
        expectRejected(room.check(member(carol, bob, 'ban')), 'member.ban.sender-not-joined');
        room.join(carol);
        expectRejected(room.check(member(carol, dave, 'ban')), 'member.ban.otherwise');
        expectRejected(room.check(member(bob, dave, 'ban')), 'member.ban.otherwise');
        expectAllowed(room.check(member(alice, dave, 'ban')));
      });
    }
  });

  describe('knock (rooms/v7)', () => {
    for (const version of versionsFrom(7)) {
      it(`v${version}: one knocks on a knock room for oneself, unless banned, invited or joined`, () => {
        const room = TestAuthRoom.standard(version, { joinRule: 'knock' });
        expectAllowed(room.check(member(carol, carol, 'knock')));
        expectRejected(room.check(member(alice, carol, 'knock')), 'member.knock.not-self');
        room.member(alice, carol, 'invite');
        expectRejected(room.check(member(carol, carol, 'knock')), 'member.knock.otherwise');
        room.member(alice, carol, 'ban');
        expectRejected(room.check(member(carol, carol, 'knock')), 'member.knock.otherwise');
        expectRejected(room.check(member(alice, alice, 'knock')), 'member.knock.otherwise');
        room.forceMember(bob, 'leave');
        expectAllowed(room.check(member(bob, bob, 'knock')));
      });

      it(`v${version}: knocking needs the knock join rule`, () => {
        for (const joinRule of ['public', 'invite', 'restricted']) {
          expectRejected(TestAuthRoom.standard(version, { joinRule }).check(member(carol, carol, 'knock')), 'member.knock.join-rule');
        }
      });
    }

    for (const version of versionsFrom(10)) {
      it(`v${version}: knock_restricted allows knocking`, () => {
        expectAllowed(TestAuthRoom.standard(version, { joinRule: 'knock_restricted' }).check(member(carol, carol, 'knock')));
      });
    }

    for (const version of ['7', '8', '9']) {
      it(`v${version}: knock_restricted does not allow knocking`, () => {
        expectRejected(TestAuthRoom.standard(version, { joinRule: 'knock_restricted' }).check(member(carol, carol, 'knock')), 'member.knock.join-rule');
      });
    }

    for (const version of versionsFrom(1, 6)) {
      it(`v${version}: knock is an unknown membership`, () => {
        expectRejected(TestAuthRoom.standard(version, { joinRule: 'knock' }).check(member(carol, carol, 'knock')), 'member.unknown');
      });
    }
  });

  describe('unknown membership', () => {
    for (const version of ['1', '7', '12']) {
      it(`v${version}: rejects any other membership`, () => {
        const room = TestAuthRoom.standard(version);
        expectRejected(room.check(member(alice, alice, 'superjoin')), 'member.unknown');
        expectRejected(room.check(member(alice, alice, 42)), 'member.unknown');
      });
    }
  });

  describe('room creators (rooms/v12: infinite power)', () => {
    it('v12: the creator and additional creators outrank everyone; creators cannot kick or ban each other', () => {
      const room = TestAuthRoom.standard('12', { users: { [bob]: 100 }, createContent: { additional_creators: [dave] } });
      room.join(bob);
      room.join(dave);
      expectAllowed(room.check(member(alice, bob, 'ban')));
      expectAllowed(room.check(member(dave, bob, 'leave')));
      expectRejected(room.check(member(bob, alice, 'ban')), 'member.ban.otherwise');
      expectRejected(room.check(member(bob, dave, 'leave')), 'member.leave.otherwise');
      expectRejected(room.check(member(alice, dave, 'ban')), 'member.ban.otherwise');
    });

    it('v11: a creator at power 100 is an ordinary 100', () => {
      const room = TestAuthRoom.standard('11', { users: { [bob]: 100 } });
      room.join(bob);
      expectRejected(room.check(member(alice, bob, 'ban')), 'member.ban.otherwise');
      expectRejected(room.check(member(bob, alice, 'ban')), 'member.ban.otherwise');
    });
  });

  it('rule numbers follow the version: the banned-joiner rule is 5.2.3 in v1, 4.2.3 in v6, 4.3.3 in v8, 5.3.3 in v12', () => {
    const reasons = ['1', '6', '8', '12'].map((version) => {
      const room = TestAuthRoom.standard(version);
      room.forceMember(bob, 'ban', alice);
      const verdict = room.check(member(bob, bob, 'join'));
      return verdict.allowed ? '' : verdict.reason.split(' (')[0];
    });
    expect(reasons).to.deep.equal(['rule 5.2.3', 'rule 4.2.3', 'rule 4.3.3', 'rule 5.3.3']);
  });
});
