import { expect } from 'chai';
import { cacheLifetimeMs, WellKnownCache } from './well-known-cache.ts';

const hour = 3_600_000;

describe('well-known cache lifetimes (server-server-api "Resolving server names" step 3)', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');

  it('reads max-age, no-store and no-cache from Cache-Control', () => {
    expect(cacheLifetimeMs({ cacheControl: 'public, max-age=3600' }, now)).to.equal(hour);
    expect(cacheLifetimeMs({ cacheControl: 'Max-Age=60', expires: 'Mon, 01 Jan 2024 05:00:00 GMT' }, now), 'max-age wins over Expires').to.equal(60_000);
    expect(cacheLifetimeMs({ cacheControl: 'no-store, max-age=60' }, now)).to.equal(0);
    expect(cacheLifetimeMs({ cacheControl: 'no-cache' }, now)).to.equal(0);
  });

  it('reads Expires against the clock, an invalid date meaning already expired', () => {
    expect(cacheLifetimeMs({ expires: 'Mon, 01 Jan 2024 05:00:00 GMT' }, now)).to.equal(5 * hour);
    expect(cacheLifetimeMs({ expires: 'Sun, 31 Dec 2023 05:00:00 GMT' }, now)).to.equal(0);
    expect(cacheLifetimeMs({ expires: '0' }, now)).to.equal(0);
  });

  it('defaults to 24 hours without headers', () => {
    expect(cacheLifetimeMs({}, now)).to.equal(24 * hour);
    expect(cacheLifetimeMs({ cacheControl: 'public' }, now)).to.equal(24 * hour);
  });

  describe('WellKnownCache', () => {
    let clock = 0;
    const cache = () => new WellKnownCache(() => clock);
    beforeEach(() => (clock = 1_000_000));

    it('caps a lifetime at 48 hours', () => {
      const c = cache();
      c.storeSuccess('a.test', 'b.test', 30 * 24 * hour);
      clock += 48 * hour - 1;
      expect(c.get('a.test')).to.deep.equal({ delegatedServerName: 'b.test' });
      clock += 1;
      expect(c.get('a.test')).to.equal(undefined);
    });

    it('does not serve an answer with no lifetime', () => {
      const c = cache();
      c.storeSuccess('a.test', 'b.test', 0);
      expect(c.get('a.test')).to.equal(undefined);
    });

    it('keeps an invalid answer an hour, forgetting the last delegation', () => {
      const c = cache();
      c.storeSuccess('a.test', 'b.test', 0);
      expect(c.storeFailure('a.test', 'invalid')).to.equal(undefined);
      clock += hour - 1;
      expect(c.get('a.test')).to.deep.equal({ delegatedServerName: undefined });
      clock += 1;
      expect(c.get('a.test')).to.equal(undefined);
    });

    it('backs off unavailable answers exponentially from 2 minutes up to an hour', () => {
      const c = cache();
      const lifetimes: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = clock;
        c.storeFailure('a.test', 'unavailable');
        while (c.get('a.test')) clock += 1_000;
        lifetimes.push((clock - start) / 60_000);
      }
      expect(lifetimes).to.deep.equal([2, 4, 8, 16, 32, 60, 60]);
    });
  });
});
