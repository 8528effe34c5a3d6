import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import { checkEventAuth } from './check-event-auth.ts';
import { expectAllowed, expectRejected, TestAuthRoom, versionsFrom, type EventFields } from './test-events.ts';

const alice = '@alice:example.org';

/** The verdict on a create event of `version` built from `fields` (no state: it is the first event). */
function checkCreate(version: string, content: JsonObject, fields: Partial<EventFields> = {}): ReturnType<typeof checkEventAuth> {
  const room = TestAuthRoom.create(version, alice);
  const event = room.build({ type: 'm.room.create', sender: alice, stateKey: '', content, prevEvents: [], authEvents: [], ...fields });
  return checkEventAuth(event, new Map(), room.rules);
}

describe('rooms/v1 … v12 "Authorization rules" rule 1: m.room.create', () => {
  for (const version of versionsFrom(1)) {
    const base: JsonObject = version === '11' || version === '12' ? { room_version: version } : { room_version: version, creator: alice };

    it(`v${version}: allows a well-formed create event; 1.1 rejects one with prev_events`, () => {
      expectAllowed(checkCreate(version, base));
      expectRejected(checkCreate(version, base, { prevEvents: ['$earlier:example.org' as never] }), 'create.prev-events');
    });

    it(`v${version}: 1.3 rejects an unrecognised content.room_version, allows none`, () => {
      expectRejected(checkCreate(version, { ...base, room_version: '13' }), 'create.room-version');
      expectRejected(checkCreate(version, { ...base, room_version: 12 }), 'create.room-version');
      const { room_version: _omitted, ...withoutVersion } = base;
      expectAllowed(checkCreate(version, withoutVersion));
    });
  }

  for (const version of versionsFrom(1, 11)) {
    it(`v${version}: 1.2 rejects a room ID whose domain is not the sender's`, () => {
      expectAllowed(checkCreate(version, { creator: alice }, { roomId: '!abc:example.org' }));
      expectRejected(checkCreate(version, { creator: alice }, { roomId: '!abc:elsewhere.example' }), 'create.room-id');
    });
  }

  it('v12: 1.2 rejects a create event that carries a room_id (the room ID is its event ID)', () => {
    expectAllowed(checkCreate('12', {}));
    expectRejected(checkCreate('12', {}, { pdu: { room_id: '!abc:example.org' } }), 'create.room-id');
  });

  for (const version of versionsFrom(1, 10)) {
    it(`v${version}: 1.4 rejects content without creator`, () => {
      expectRejected(checkCreate(version, { room_version: version }), 'create.creator');
    });
  }

  for (const version of ['11', '12']) {
    it(`v${version}: allows content without creator (rooms/v11 "Remove the creator property")`, () => {
      expectAllowed(checkCreate(version, { room_version: version }));
    });
  }

  it('v12: 1.4 additional_creators must be an array of valid user IDs', () => {
    expectAllowed(checkCreate('12', { additional_creators: ['@bob:example.org', '@carol:other.example'] }));
    expectAllowed(checkCreate('12', { additional_creators: [] }));
    expectRejected(checkCreate('12', { additional_creators: '@bob:example.org' }), 'create.additional-creators');
    expectRejected(checkCreate('12', { additional_creators: ['bob'] }), 'create.additional-creators');
    expectRejected(checkCreate('12', { additional_creators: ['@bob:example.org', 7] }), 'create.additional-creators');
    expectRejected(checkCreate('12', { additional_creators: ['@bob'] }), 'create.additional-creators');
  });

  it('v11: additional_creators means nothing before v12', () => {
    expectAllowed(checkCreate('11', { additional_creators: 'not a list' }));
  });

  it('names the failing rule by its number in the room version', () => {
    const verdict = checkCreate('1', { room_version: '1' });
    expect(verdict).to.deep.equal({ allowed: false, reason: 'rule 1.4 (create.creator): no creator in content' });
  });
});
