import { expect } from 'chai';
import type { UserId } from '../ids/identifiers.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import { namedPowerLevel, notificationPowerLevel, parsePowerLevel, requiredPowerLevel, roomCreators, userPowerLevel } from './power-levels.ts';
import { TestAuthRoom, versionsFrom } from './test-events.ts';

const alice = '@alice:example.org' as UserId;
const bob = '@bob:example.org' as UserId;
const dave = '@dave:example.org' as UserId;

describe('power levels (client-server-api m.room.power_levels)', () => {
  describe('parsePowerLevel', () => {
    const v9 = getRoomVersion('9');
    const v10 = getRoomVersion('10');

    it('v1–v9: integers, integer strings (sign, leading zeroes, whitespace) and truncated floats (rooms/v1)', () => {
      const cases: Array<[unknown, number | undefined]> = [
        [50, 50], [-3, -3], ['100', 100], ['000100', 100], ['+100', 100], ['-100', -100], [' 100 ', 100], [' \t+0100\n', 100],
        [51146.98, 51146], [5.114698e4, 51146], [-2.5, -2],
        ['1.5', undefined], ['1e3', undefined], ['', undefined], ['+-1', undefined], ['0x10', undefined], ['ten', undefined],
        [Infinity, undefined], [NaN, undefined], [null, undefined], [true, undefined], [{}, undefined], [[1], undefined],
      ];
      for (const [value, expected] of cases) expect(parsePowerLevel(value, v9), JSON.stringify(value)).to.equal(expected);
    });

    it('v10+: integers only (rooms/v10 "Values in m.room.power_levels events must be integers")', () => {
      expect(parsePowerLevel(50, v10)).to.equal(50);
      expect(parsePowerLevel(-7, v10)).to.equal(-7);
      for (const value of ['50', 50.5, ' 1', null, Infinity]) expect(parsePowerLevel(value, v10), String(value)).to.equal(undefined);
    });
  });

  describe('userPowerLevel', () => {
    for (const version of versionsFrom(1, 11)) {
      it(`v${version}: without power levels the creator has 100 and everyone else 0`, () => {
        const room = TestAuthRoom.create(version, alice);
        expect(userPowerLevel(alice, room.state, room.rules)).to.equal(100);
        expect(userPowerLevel(bob, room.state, room.rules)).to.equal(0);
      });

      it(`v${version}: with power levels, the users map, else users_default, else 0`, () => {
        const room = TestAuthRoom.standard(version, { users: { [bob]: 30 } });
        expect(userPowerLevel(alice, room.state, room.rules)).to.equal(100);
        expect(userPowerLevel(bob, room.state, room.rules)).to.equal(30);
        expect(userPowerLevel(dave, room.state, room.rules)).to.equal(0);
        room.send({ type: 'm.room.power_levels', sender: alice, stateKey: '', content: { users: { [alice]: 100 }, users_default: 5 } });
        expect(userPowerLevel(bob, room.state, room.rules)).to.equal(5);
        room.send({ type: 'm.room.power_levels', sender: alice, stateKey: '', content: { users: {} } });
        expect(userPowerLevel(alice, room.state, room.rules)).to.equal(0);
      });
    }

    it('v1–v9 read string levels; v10 ignores them', () => {
      for (const version of ['1', '9']) {
        const room = TestAuthRoom.standard(version, { users: { [bob]: '30' as never }, powerLevels: { users_default: ' 7 ' } });
        expect(userPowerLevel(bob, room.state, room.rules), version).to.equal(30);
        expect(userPowerLevel(dave, room.state, room.rules), version).to.equal(7);
      }
    });

    it('v1–v10: the creator is content.creator; v11: the create event\'s sender', () => {
      const v10 = TestAuthRoom.create('10', alice, { creator: bob });
      expect(userPowerLevel(bob, v10.state, v10.rules)).to.equal(100);
      expect(userPowerLevel(alice, v10.state, v10.rules)).to.equal(0);
      const v11 = TestAuthRoom.create('11', alice, { creator: bob });
      expect(userPowerLevel(alice, v11.state, v11.rules)).to.equal(100);
      expect(userPowerLevel(bob, v11.state, v11.rules)).to.equal(0);
    });

    it('v12: creators and additional creators have infinite power, with or without power levels', () => {
      const room = TestAuthRoom.create('12', alice, { additional_creators: [dave] });
      expect([...roomCreators(room.state, room.rules)]).to.deep.equal([alice, dave]);
      expect(userPowerLevel(alice, room.state, room.rules)).to.equal(Infinity);
      expect(userPowerLevel(dave, room.state, room.rules)).to.equal(Infinity);
      expect(userPowerLevel(bob, room.state, room.rules)).to.equal(0);
      room.join(alice);
      room.send({ type: 'm.room.power_levels', sender: alice, stateKey: '', content: { users: { [bob]: 100 }, users_default: 1 } });
      expect(userPowerLevel(alice, room.state, room.rules)).to.equal(Infinity);
      expect(userPowerLevel(bob, room.state, room.rules)).to.equal(100);
      expect(userPowerLevel('@erin:example.org' as UserId, room.state, room.rules)).to.equal(1);
    });

    it('v11: no infinite power, no additional creators', () => {
      const room = TestAuthRoom.create('11', alice, { additional_creators: [dave] });
      expect(roomCreators(room.state, room.rules).size).to.equal(0);
      expect(userPowerLevel(dave, room.state, room.rules)).to.equal(0);
    });
  });

  describe('named and required levels', () => {
    it('defaults: ban, kick, redact 50; invite, users_default, events_default 0; state_default 50, with or without power levels', () => {
      for (const room of [TestAuthRoom.create('10', alice), TestAuthRoom.standard('10')]) {
        expect(['ban', 'kick', 'redact', 'invite', 'users_default', 'events_default', 'state_default'].map((name) => namedPowerLevel(name as never, room.state, room.rules))).to.deep.equal([50, 50, 50, 0, 0, 0, 50]);
        expect(requiredPowerLevel('m.room.topic', '', room.state, room.rules)).to.equal(50);
        expect(requiredPowerLevel('m.room.message', undefined, room.state, room.rules)).to.equal(0);
        expect(notificationPowerLevel('room', room.state, room.rules)).to.equal(50);
      }
    });

    it('events[type] overrides the defaults, an own property only', () => {
      const room = TestAuthRoom.standard('10', { powerLevels: { events: { 'm.room.message': 20, 'm.room.topic': 10 }, events_default: 5, state_default: 60, notifications: { room: 10 } } });
      expect(requiredPowerLevel('m.room.message', undefined, room.state, room.rules)).to.equal(20);
      expect(requiredPowerLevel('m.room.topic', '', room.state, room.rules)).to.equal(10);
      expect(requiredPowerLevel('m.reaction', undefined, room.state, room.rules)).to.equal(5);
      expect(requiredPowerLevel('m.room.name', '', room.state, room.rules)).to.equal(60);
      expect(requiredPowerLevel('constructor', '', room.state, room.rules)).to.equal(60);
      expect(requiredPowerLevel('toString', undefined, room.state, room.rules)).to.equal(5);
      expect(notificationPowerLevel('room', room.state, room.rules)).to.equal(10);
    });
  });
});
