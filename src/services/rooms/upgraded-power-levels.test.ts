import { expect } from 'chai';
import { getRoomVersion } from '../../core/room-versions/known-versions.ts';
import { restrictedPowerLevels, upgradedPowerLevels } from './upgraded-power-levels.ts';

const v1 = getRoomVersion('1');
const v11 = getRoomVersion('11');
const v12 = getRoomVersion('12');
const none = new Set<string>();

describe('room upgrade power levels (client-server-api "Room Upgrades")', function () {
  it('stringy and float levels of an old version become integers; unreadable ones are dropped', function () {
    const { final } = upgradedPowerLevels({ ban: ' 60 ', kick: 'high', users: { '@a:x': '100', '@b:x': 49.9 }, events: { 'm.room.name': '75' } }, v1, v11, { upgrader: '@a:x', oldCreators: none, newCreators: none });
    expect(final).to.deep.equal({ ban: 60, users: { '@a:x': 100, '@b:x': 49 }, events: { 'm.room.name': 75 } });
  });

  it('the upgrader is raised to the highest level any state event or ban needs while the room is set up', function () {
    const old = { users: { '@a:x': 50 }, state_default: 40, ban: 60, events: { 'm.room.encryption': 90 } };
    const { setup, final } = upgradedPowerLevels(old, v11, v11, { upgrader: '@a:x', oldCreators: none, newCreators: none });
    expect(setup.users).to.deep.equal({ '@a:x': 90 });
    expect(final.users).to.deep.equal({ '@a:x': 50 });
  });

  it('rooms/v12: creators of the new room leave the users map and need no raise', function () {
    const { setup, final } = upgradedPowerLevels({ users: { '@a:x': 100, '@c:x': 100, '@b:x': 10 } }, v11, v12, { upgrader: '@a:x', oldCreators: none, newCreators: new Set(['@a:x', '@c:x']) });
    expect(final.users).to.deep.equal({ '@b:x': 10 });
    expect(setup).to.equal(final);
  });

  it('restricting the old room: events_default and invite to max(50, users_default + 1), untouched when already there', function () {
    expect(restrictedPowerLevels({ users_default: 60, events_default: 0 }, v11)).to.deep.equal({ users_default: 60, events_default: 61, invite: 61 });
    expect(restrictedPowerLevels({ events_default: 50, invite: 75 }, v11)).to.equal(undefined);
  });
});
