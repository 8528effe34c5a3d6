import { expect } from 'chai';
import { applyEventFilter, matchesEventFilter } from './event-filter.ts';

describe('event filters (client-server-api "Filtering")', function () {
  it('matches types exactly or with * wildcards', function () {
    expect(matchesEventFilter({ types: ['m.room.message'] }, { type: 'm.room.message' })).to.equal(true);
    expect(matchesEventFilter({ types: ['m.room.message'] }, { type: 'm.room.messages' })).to.equal(false);
    expect(matchesEventFilter({ types: ['m.room.*'] }, { type: 'm.room.member' })).to.equal(true);
    expect(matchesEventFilter({ types: ['m.room.*'] }, { type: 'm.roomy' })).to.equal(false);
    expect(matchesEventFilter({ types: ['*'] }, { type: 'anything' })).to.equal(true);
    expect(matchesEventFilter({ types: ['a.b+c'] }, { type: 'a.bbc' })).to.equal(false);
  });

  it('lets not_types and not_senders win, and treats an empty list as matching nothing', function () {
    expect(matchesEventFilter({ types: ['*'], not_types: ['m.presence'] }, { type: 'm.presence' })).to.equal(false);
    expect(matchesEventFilter({ senders: ['@a:x'], not_senders: ['@a:x'] }, { type: 't', sender: '@a:x' })).to.equal(false);
    expect(matchesEventFilter({ types: [] }, { type: 't' })).to.equal(false);
    expect(matchesEventFilter({ senders: ['@a:x'] }, { type: 't', sender: '@b:x' })).to.equal(false);
    expect(matchesEventFilter(undefined, { type: 't' })).to.equal(true);
  });

  it('applies the limit after filtering', function () {
    const events = [{ type: 'a' }, { type: 'b' }, { type: 'a' }, { type: 'a' }];
    expect(applyEventFilter({ types: ['a'], limit: 2 }, events)).to.deep.equal([{ type: 'a' }, { type: 'a' }]);
  });
});

describe('client-server-api "Filtering" contains_url', function () {
  const withUrl = { type: 'm.room.message', sender: '@a:x', content: { msgtype: 'm.image', url: 'mxc://x/y' } };
  const without = { type: 'm.room.message', sender: '@a:x', content: { msgtype: 'm.text', body: 'hi' } };
  it('keeps only events with a content url when true, only those without when false', function () {
    expect(applyEventFilter({ contains_url: true }, [withUrl, without])).to.deep.equal([withUrl]);
    expect(applyEventFilter({ contains_url: false }, [withUrl, without])).to.deep.equal([without]);
    expect(applyEventFilter({}, [withUrl, without])).to.have.length(2);
  });
});
