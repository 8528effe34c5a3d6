import { expect } from 'chai';
import { DestinationBackoff } from './destination-backoff.ts';

describe('per-destination backoff', () => {
  let now = 0;
  let random = 0.5; // jitter factor 0.8 + 0.4 * 0.5 = 1
  const backoff = () => new DestinationBackoff(() => now, () => random);
  beforeEach(() => {
    now = 1_000_000;
    random = 0.5;
  });

  it('doubles from 2 s with each consecutive failure, up to an hour', () => {
    const b = backoff();
    const delays: number[] = [];
    for (let i = 0; i < 13; i++) {
      b.recordFailure('remote.test');
      delays.push(b.remainingMs('remote.test'));
      now += b.remainingMs('remote.test');
      expect(b.isBackingOff('remote.test')).to.equal(false);
    }
    expect(delays.slice(0, 4)).to.deep.equal([2_000, 4_000, 8_000, 16_000]);
    expect(delays.at(-2)).to.equal(3_600_000);
    expect(delays.at(-1)).to.equal(3_600_000);
  });

  it('applies jitter of ±20%', () => {
    const b = backoff();
    random = 0;
    b.recordFailure('a.test');
    expect(b.remainingMs('a.test')).to.equal(1_600);
    random = 0.999;
    b.recordFailure('b.test');
    expect(b.remainingMs('b.test')).to.be.within(2_390, 2_400);
  });

  it('counts failures within one backoff period once', () => {
    const b = backoff();
    b.recordFailure('remote.test');
    b.recordFailure('remote.test');
    expect(b.remainingMs('remote.test')).to.equal(2_000);
  });

  it('starts again from 2 s after a reset, and keeps destinations apart', () => {
    const b = backoff();
    b.recordFailure('remote.test');
    now += 2_000;
    b.recordFailure('remote.test');
    expect(b.remainingMs('remote.test')).to.equal(4_000);
    expect(b.isBackingOff('other.test')).to.equal(false);
    b.reset('remote.test');
    expect(b.isBackingOff('remote.test')).to.equal(false);
    b.recordFailure('remote.test');
    expect(b.remainingMs('remote.test')).to.equal(2_000);
  });
});
