import { expect } from 'chai';
import { encodeSyncToken, parseSyncToken, zeroPositions } from './sync-token.ts';

describe('sync tokens', function () {
  it('round-trip every stream position', function () {
    const positions = { ...zeroPositions(), account_data: 12, push_rules: 3, to_device: 40, device_lists: 7 };
    expect(parseSyncToken(encodeSyncToken(positions))).to.deep.equal(positions);
  });

  it('read a stream missing from an older token as position 0', function () {
    expect(parseSyncToken('a5')).to.deep.equal({ ...zeroPositions(), account_data: 5 });
  });

  it('refuse unknown tags, non-numbers and empty parts with M_INVALID_PARAM', function () {
    for (const token of ['z1', 'a', 'a1_', 'a-1', 'a1.5', '', 'a99999999999999999']) {
      expect(() => parseSyncToken(token), token).to.throw().with.property('errcode', 'M_INVALID_PARAM');
    }
  });
});
