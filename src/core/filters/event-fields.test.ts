import { expect } from 'chai';
import { parseDottedPath } from '../dotted-property-paths.ts';
import { selectEventFields } from './event-fields.ts';

describe('client-server-api "Filtering" event_fields', function () {
  const event = { type: 'm.room.message', event_id: '$e', sender: '@a:x', content: { body: 'hi', msgtype: 'm.text', 'm.relates_to': { rel_type: 'm.thread' } }, unsigned: { age: 5 } };

  it('keeps only the listed paths, nested ones inside their objects', function () {
    expect(selectEventFields(event, ['type', 'content.body'])).to.deep.equal({ type: 'm.room.message', content: { body: 'hi' } });
  });

  it('leaves out paths the event lacks, and keeps everything for an empty list', function () {
    expect(selectEventFields(event, ['content.url', 'sender'])).to.deep.equal({ sender: '@a:x' });
    expect(selectEventFields(event, [])).to.equal(event);
    expect(selectEventFields(event, undefined)).to.equal(event);
  });

  it('reads \\. as a dot inside a key and \\\\ as a backslash', function () {
    expect(parseDottedPath('content.m\\.relates_to.rel_type')).to.deep.equal(['content', 'm.relates_to', 'rel_type']);
    expect(parseDottedPath('a\\\\.b')).to.deep.equal(['a\\', 'b']);
    expect(selectEventFields(event, ['content.m\\.relates_to.rel_type'])).to.deep.equal({ content: { 'm.relates_to': { rel_type: 'm.thread' } } });
  });
});
