import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import { signingKeyFromSeed, type SigningKey } from '../crypto/signing-key.ts';
import { initCrypto } from '../crypto/sodium.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import { getRoomVersion } from '../room-versions/known-versions.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { buildEvent } from './build-event.ts';
import { strippedStateFromJson, toClientEvent, toStrippedStateEvent } from './client-event.ts';
import type { RoomEvent } from './pdu.ts';

describe('client format (client-server-api "Room event format", "Stripped state")', () => {
  const v10 = getRoomVersion('10');
  const v11 = getRoomVersion('11');
  let key: SigningKey;
  before(async () => {
    await initCrypto();
    key = signingKeyFromSeed('a', new Uint8Array(32));
  });

  const build = (type: string, content: JsonObject, extra: { stateKey?: string; redacts?: EventId; rules?: RoomVersionRules } = {}): RoomEvent =>
    buildEvent(
      { rules: extra.rules ?? v10, roomId: '!r:c.test' as RoomId, type, sender: '@a:c.test' as UserId, content, stateKey: extra.stateKey, redacts: extra.redacts, prevEvents: [], authEvents: [], depth: 1, originServerTs: 1000, origin: 'c.test' },
      { serverName: 'c.test', key },
    ).event;

  describe('ClientEvent', () => {
    it('keeps the client fields, computes unsigned.age from now, and drops the federation fields', () => {
      const event = build('m.room.topic', { topic: 'x' }, { stateKey: '' });
      expect(toClientEvent(event, { now: 1500, unsigned: { transaction_id: 't1' } })).to.deep.equal({
        event_id: event.eventId,
        type: 'm.room.topic',
        sender: '@a:c.test',
        origin_server_ts: 1000,
        content: { topic: 'x' },
        unsigned: { age: 500, transaction_id: 't1' },
        room_id: '!r:c.test',
        state_key: '',
      });
    });

    it('leaves out room_id for ClientEventWithoutRoomID (sync) and state_key for message events', () => {
      const client = toClientEvent(build('m.room.message', { body: 'b' }), { now: 1000, omitRoomId: true });
      expect(client).to.have.keys('event_id', 'type', 'sender', 'origin_server_ts', 'content', 'unsigned');
      expect(client.unsigned).to.deep.equal({ age: 0 });
    });

    it('computes age from ageTs when given, and lets it go negative when clocks disagree', () => {
      const event = build('m.room.message', { body: 'b' });
      expect(toClientEvent(event, { now: 5000, ageTs: 4000 }).unsigned.age).to.equal(1000);
      expect(toClientEvent(event, { now: 900 }).unsigned.age).to.equal(-100);
    });

    it('passes prev_content and replaces_state for state events only, and other unsigned fields always', () => {
      const unsigned = { prev_content: { topic: 'old' }, replaces_state: '$old', membership: 'join', transaction_id: undefined };
      const state = toClientEvent(build('m.room.topic', { topic: 'new' }, { stateKey: '' }), { now: 1000, unsigned });
      expect(state.unsigned).to.deep.equal({ age: 0, prev_content: { topic: 'old' }, replaces_state: '$old', membership: 'join' });
      const message = toClientEvent(build('m.room.message', { body: 'b' }), { now: 1000, unsigned });
      expect(message.unsigned).to.deep.equal({ age: 0, membership: 'join' });
    });

    it('never passes on unsigned data from the PDU', () => {
      const event = build('m.room.message', { body: 'b' });
      const received = { ...event, pdu: { ...event.pdu, unsigned: { age: 99999, invite_room_state: [] } } };
      expect(toClientEvent(received, { now: 1001 }).unsigned).to.deep.equal({ age: 1 });
    });
  });

  describe('m.room.redaction (rooms/v11 "Moving the redacts property … to a content property")', () => {
    for (const rules of [v10, v11]) {
      it(`serves redacts both at the top level and in content in room version ${rules.id}`, () => {
        const redaction = build('m.room.redaction', { reason: 'spam' }, { redacts: '$target:c.test' as EventId, rules });
        const client = toClientEvent(redaction, { now: 1000 });
        expect(client.redacts).to.equal('$target:c.test');
        expect(client.content).to.deep.equal({ reason: 'spam', redacts: '$target:c.test' });
        // The event itself is not changed.
        expect(redaction.content).to.deep.equal(rules.redactsInContent ? { reason: 'spam', redacts: '$target:c.test' } : { reason: 'spam' });
      });
    }

    it('adds no redacts to other event types', () => {
      const client = toClientEvent(build('m.room.message', { body: 'b' }), { now: 1000 });
      expect(client).to.not.have.property('redacts');
    });
  });

  describe('redacted events (client-server-api "Redactions")', () => {
    it('serves the content redacted, with the redaction under unsigned.redacted_because', () => {
      const message = build('m.room.message', { body: 'secret', msgtype: 'm.text' });
      const redaction = build('m.room.redaction', { reason: 'spam' }, { redacts: message.eventId });
      const client = toClientEvent(message, { now: 2000, redactedBy: { redaction, rules: v10 }, unsigned: { transaction_id: 't' } });
      expect(client.content).to.deep.equal({});
      expect(client.unsigned).to.deep.equal({ age: 1000, transaction_id: 't', redacted_because: toClientEvent(redaction, { now: 2000 }) });
      const because = client.unsigned.redacted_because as JsonObject;
      expect(because).to.include({ event_id: redaction.eventId, redacts: message.eventId, room_id: '!r:c.test' });
      expect(toClientEvent(message, { now: 2000, omitRoomId: true, redactedBy: { redaction, rules: v10 } }).unsigned.redacted_because).to.not.have.property('room_id');
    });

    it('keeps what the version protects: membership, and from v11 a redaction\'s content.redacts', () => {
      const redaction = build('m.room.redaction', {}, { redacts: '$x:c.test' as EventId });
      const member = build('m.room.member', { membership: 'join', displayname: 'A' }, { stateKey: '@a:c.test' });
      expect(toClientEvent(member, { now: 1000, redactedBy: { redaction, rules: v10 } }).content).to.deep.equal({ membership: 'join' });

      const v11Redaction = build('m.room.redaction', { reason: 'r' }, { redacts: '$y:c.test' as EventId, rules: v11 });
      const kept = toClientEvent(v11Redaction, { now: 1000, redactedBy: { redaction, rules: v11 } });
      expect(kept.content).to.deep.equal({ redacts: '$y:c.test' });
      expect(kept.redacts).to.equal('$y:c.test');
      // Before v11 a redacted redaction loses its top-level redacts.
      const v10Redaction = build('m.room.redaction', { reason: 'r' }, { redacts: '$y:c.test' as EventId });
      const lost = toClientEvent(v10Redaction, { now: 1000, redactedBy: { redaction, rules: v10 } });
      expect(lost.content).to.deep.equal({});
      expect(lost).to.not.have.property('redacts');
    });
  });

  describe('stripped state (StrippedStateEvent)', () => {
    it('strips our state events to type, state_key, sender and content', () => {
      const name = build('m.room.name', { name: 'N' }, { stateKey: '' });
      expect(toStrippedStateEvent(name)).to.deep.equal({ type: 'm.room.name', state_key: '', sender: '@a:c.test', content: { name: 'N' } });
    });

    it('refuses message events, which have no stripped form', () => {
      expect(() => toStrippedStateEvent(build('m.room.message', { body: 'b' }))).to.throw('Only state events');
    });

    it('prunes what arrives over federation (full PDUs or stripped events) to the four fields', () => {
      const name = build('m.room.name', { name: 'N' }, { stateKey: '' });
      expect(strippedStateFromJson(name.pdu)).to.deep.equal({ type: 'm.room.name', state_key: '', sender: '@a:c.test', content: { name: 'N' } });
      expect(strippedStateFromJson({ type: 't', state_key: 'k', sender: '@s:x', content: {}, extra: 1 })).to.deep.equal({ type: 't', state_key: 'k', sender: '@s:x', content: {} });
    });

    it('drops malformed entries', () => {
      const good = { type: 't', state_key: '', sender: '@s:x', content: {} };
      for (const bad of [null, [], 'x', { ...good, type: 1 }, { ...good, state_key: undefined }, { ...good, sender: 's:x' }, { ...good, content: [] }]) {
        expect(strippedStateFromJson(bad), JSON.stringify(bad)).to.equal(undefined);
      }
    });
  });
});
