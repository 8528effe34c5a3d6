import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import { getRoomVersion, supportedRoomVersions } from '../room-versions/known-versions.ts';
import { redactEvent } from './redact.ts';

// Hand-made events following the rooms/v1 … rooms/v11 "Redactions" text; the Synapse fixtures cover
// real events up to v10 only.

const v1ToV10 = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
const v11AndLater = ['11', '12'];

function redactedContent(type: string, content: JsonObject, version: string): JsonObject {
  return redactEvent({ type, content, room_id: '!r:x', sender: '@u:x' }, getRoomVersion(version)).content as JsonObject;
}

/** Expects `content` of `type` to redact to `expected` in each of `ids`. */
function expectContent(type: string, content: JsonObject, ids: string[], expected: JsonObject): void {
  for (const id of ids) expect(redactedContent(type, content, id), `room version ${id}`).to.deep.equal(expected);
}

describe('redactEvent', () => {
  const everyTopLevelKey = {
    event_id: '$e', type: 'm.room.message', room_id: '!r:x', sender: '@u:x', state_key: '', content: { body: 'secret' },
    hashes: { sha256: 'h' }, signatures: { x: { 'ed25519:1': 's' } }, depth: 5, prev_events: ['$p'], auth_events: ['$a'],
    origin_server_ts: 7, origin: 'x', membership: 'join', prev_state: [],
    redacts: '$r', unsigned: { age_ts: 1 }, extra: { anything: true },
  };
  const alwaysKept = {
    event_id: '$e', type: 'm.room.message', room_id: '!r:x', sender: '@u:x', state_key: '', content: {},
    hashes: { sha256: 'h' }, signatures: { x: { 'ed25519:1': 's' } }, depth: 5, prev_events: ['$p'], auth_events: ['$a'],
    origin_server_ts: 7,
  };

  it('v1–v10 keep the protected top-level keys, origin, membership and prev_state, and drop the rest (unsigned too)', () => {
    for (const id of v1ToV10) {
      expect(redactEvent(everyTopLevelKey, getRoomVersion(id)), `room version ${id}`).to.deep.equal({
        ...alwaysKept, origin: 'x', membership: 'join', prev_state: [],
      });
    }
  });

  it('v11+ no longer protect origin, membership and prev_state', () => {
    for (const id of v11AndLater) expect(redactEvent(everyTopLevelKey, getRoomVersion(id)), `room version ${id}`).to.deep.equal(alwaysKept);
  });

  it('does not modify its input and always yields a content object', () => {
    const input = structuredClone(everyTopLevelKey);
    redactEvent(input, getRoomVersion('11'));
    expect(input).to.deep.equal(everyTopLevelKey);
    expect(redactEvent({ type: 'm.room.message' }, getRoomVersion('1'))).to.deep.equal({ type: 'm.room.message', content: {} });
  });

  it('strips all content of types without a rule, including m.room.name and m.room.topic', () => {
    for (const type of ['m.room.message', 'm.room.name', 'm.room.topic', 'm.room.encrypted', 'org.example.custom']) {
      expectContent(type, { body: 'x', name: 'n', topic: 't' }, [...supportedRoomVersions], {});
    }
  });

  describe('m.room.member', () => {
    const content = {
      membership: 'join', displayname: 'Alice', avatar_url: 'mxc://x/y', reason: 'hi',
      join_authorised_via_users_server: '@mod:x',
      third_party_invite: { display_name: 'alice@example.org', signed: { mxid: '@a:x', token: 't', signatures: {} } },
    };
    it('keeps membership (v1–v8)', () => {
      expectContent('m.room.member', content, ['1', '2', '3', '4', '5', '6', '7', '8'], { membership: 'join' });
    });
    it('also keeps join_authorised_via_users_server (v9, v10)', () => {
      expectContent('m.room.member', content, ['9', '10'], { membership: 'join', join_authorised_via_users_server: '@mod:x' });
    });
    it('also keeps only the signed key of third_party_invite (v11+)', () => {
      expectContent('m.room.member', content, v11AndLater, {
        membership: 'join', join_authorised_via_users_server: '@mod:x',
        third_party_invite: { signed: { mxid: '@a:x', token: 't', signatures: {} } },
      });
    });
    it('keeps a third_party_invite object without signed as {} and drops a non-object (v11+)', () => {
      expectContent('m.room.member', { membership: 'invite', third_party_invite: { display_name: 'd' } }, v11AndLater, { membership: 'invite', third_party_invite: {} });
      expectContent('m.room.member', { membership: 'invite', third_party_invite: 'odd' }, v11AndLater, { membership: 'invite' });
    });
  });

  describe('m.room.create', () => {
    const content = { creator: '@u:x', room_version: '9', 'm.federate': false, predecessor: { room_id: '!old:x' }, additional_creators: ['@b:x'] };
    it('keeps only creator (v1–v10)', () => expectContent('m.room.create', content, v1ToV10, { creator: '@u:x' }));
    it('keeps the whole content (v11+)', () => expectContent('m.room.create', content, v11AndLater, content));
  });

  describe('m.room.join_rules', () => {
    const content = { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }], other: 1 };
    it('keeps join_rule (v1–v7)', () => {
      expectContent('m.room.join_rules', content, ['1', '2', '3', '4', '5', '6', '7'], { join_rule: 'restricted' });
    });
    it('also keeps allow (v8+)', () => {
      expectContent('m.room.join_rules', content, ['8', '9', '10', '11', '12'], { join_rule: 'restricted', allow: content.allow });
    });
  });

  describe('m.room.power_levels', () => {
    const kept = { ban: 50, events: { 'm.room.name': 50 }, events_default: 0, kick: 50, redact: 50, state_default: 50, users: { '@u:x': 100 }, users_default: 0 };
    const content = { ...kept, invite: 0, notifications: { room: 50 }, other: 1 };
    it('keeps ban, events, events_default, kick, redact, state_default, users, users_default (v1–v10)', () => {
      expectContent('m.room.power_levels', content, v1ToV10, kept);
    });
    it('also keeps invite (v11+)', () => expectContent('m.room.power_levels', content, v11AndLater, { ...kept, invite: 0 }));
  });

  describe('m.room.aliases', () => {
    const content = { aliases: ['#a:x'], other: 1 };
    it('keeps aliases (v1–v5)', () => expectContent('m.room.aliases', content, ['1', '2', '3', '4', '5'], { aliases: ['#a:x'] }));
    it('keeps nothing (v6+)', () => expectContent('m.room.aliases', content, ['6', '7', '8', '9', '10', '11', '12'], {}));
  });

  it('m.room.history_visibility keeps history_visibility in every version', () => {
    expectContent('m.room.history_visibility', { history_visibility: 'shared', other: 1 }, [...supportedRoomVersions], { history_visibility: 'shared' });
  });

  describe('m.room.redaction', () => {
    const event = { type: 'm.room.redaction', redacts: '$old', content: { redacts: '$old', reason: 'spam' } };
    it('keeps neither the top-level redacts nor content (v1–v10)', () => {
      for (const id of v1ToV10) expect(redactEvent(event, getRoomVersion(id)), `room version ${id}`).to.deep.equal({ type: 'm.room.redaction', content: {} });
    });
    it('keeps redacts in content only (v11+)', () => {
      for (const id of v11AndLater) {
        expect(redactEvent(event, getRoomVersion(id)), `room version ${id}`).to.deep.equal({ type: 'm.room.redaction', content: { redacts: '$old' } });
      }
    });
  });
});
