import { expect } from 'chai';
import type { JsonObject } from '../canonical-json.ts';
import type { EventId, RoomId, UserId } from '../ids/identifiers.ts';
import type { Pdu, RoomEvent } from './pdu.ts';
import { compareReplacements, isValidReplacement, relationOf } from './relations.ts';

/** Only the fields the relation rules read. */
function event(eventId: string, content: JsonObject, fields: Partial<Pick<RoomEvent, 'sender' | 'type' | 'stateKey' | 'roomId' | 'originServerTs'>> = {}): RoomEvent {
  return {
    eventId: eventId as EventId,
    roomId: '!r:x' as RoomId,
    type: 'm.room.message',
    sender: '@a:x' as UserId,
    stateKey: undefined,
    content,
    prevEventIds: [],
    authEventIds: [],
    depth: 1,
    originServerTs: 1,
    redacts: undefined,
    pdu: {} as Pdu,
    ...fields,
  };
}

describe('event relationships (client-server-api "Forming relationships between events")', () => {
  it('reads m.relates_to with a rel_type and event_id, and an annotation key; anything else is no relation', () => {
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$p', key: '👍' } })).to.deep.equal({ relType: 'm.annotation', eventId: '$p', key: '👍' });
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$p', is_falling_back: true } })).to.deep.equal({ relType: 'm.thread', eventId: '$p' });
    expect(relationOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$p' } } }), 'a rich reply has no rel_type').to.equal(undefined);
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.thread', event_id: 5 } })).to.equal(undefined);
    expect(relationOf({ 'm.relates_to': 'm.thread' })).to.equal(undefined);
    expect(relationOf({ body: 'x' })).to.equal(undefined);
  });

  it('"Validity of replacement events": same sender, room and type, no state, no edit of an edit, m.new_content', () => {
    const original = event('$o', { body: 'x' });
    const replace = { 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' }, 'm.new_content': { body: 'y' } };
    expect(isValidReplacement(original, event('$e', replace))).to.equal(true);
    expect(isValidReplacement(original, event('$e', replace, { sender: '@b:x' as UserId }))).to.equal(false);
    expect(isValidReplacement(original, event('$e', replace, { type: 'm.sticker' }))).to.equal(false);
    expect(isValidReplacement(original, event('$e', replace, { roomId: '!other:x' as RoomId }))).to.equal(false);
    expect(isValidReplacement(original, event('$e', { 'm.relates_to': replace['m.relates_to'] }))).to.equal(false);
    expect(isValidReplacement(event('$o', {}, { stateKey: '' }), event('$e', replace))).to.equal(false);
    expect(isValidReplacement(event('$o', replace), event('$e', replace)), 'an edit cannot be edited').to.equal(false);
  });

  it('the most recent replacement: by origin_server_ts, then the largest event ID', () => {
    const edits = [event('$a', {}, { originServerTs: 5 }), event('$c', {}, { originServerTs: 3 }), event('$b', {}, { originServerTs: 5 })];
    expect(edits.sort(compareReplacements).map((e) => e.eventId)).to.deep.equal(['$b', '$a', '$c']);
  });
});
