import { expect } from 'chai';
import { searchableText } from './searchable-text.ts';

describe('client-server-api "Server Side Search": the searchable keys of an event', function () {
  it('reads content.body of m.room.message and content.name of m.room.name', function () {
    expect(searchableText({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'hello' } })).to.deep.equal({ key: 'content.body', text: 'hello' });
    expect(searchableText({ type: 'm.room.name', stateKey: '', content: { name: 'Lobby' } })).to.deep.equal({ key: 'content.name', text: 'Lobby' });
  });

  it('reads content.topic and the text/plain bodies of m.topic, once each', function () {
    const content = {
      topic: 'Plain topic',
      'm.topic': { 'm.text': [{ body: 'Plain topic' }, { mimetype: 'text/html', body: '<b>Rich</b>' }, { mimetype: 'text/plain', body: 'Another' }] },
    };
    expect(searchableText({ type: 'm.room.topic', stateKey: '', content })).to.deep.equal({ key: 'content.topic', text: 'Plain topic\nAnother' });
  });

  it('has nothing for other types, non-string or blank text, and names or topics that are not state with an empty key', function () {
    expect(searchableText({ type: 'm.room.encrypted', content: { body: 'x' } })).to.equal(undefined);
    expect(searchableText({ type: 'm.room.message', content: { body: 42 } })).to.equal(undefined);
    expect(searchableText({ type: 'm.room.message', content: { body: '  ' } })).to.equal(undefined);
    expect(searchableText({ type: 'm.room.name', content: { name: 'x' } })).to.equal(undefined);
    expect(searchableText({ type: 'm.room.topic', stateKey: 'k', content: { topic: 'x' } })).to.equal(undefined);
    expect(searchableText({ type: 'm.room.topic', stateKey: '', content: { topic: 'x', 'm.topic': 'not a block' } })).to.deep.equal({ key: 'content.topic', text: 'x' });
  });
});
