import { expect } from 'chai';
import { defaultIpRangeBlacklist } from '../config/schema.ts';
import { IpAddressFilter, IpRangeSet, parseIpAddress } from './ip-ranges.ts';

describe('IP ranges (ip_range_blacklist / ip_range_whitelist)', () => {
  it('parses IPv4, IPv6, compressed, mapped, bracketed and zoned literals into bytes', () => {
    expect([...parseIpAddress('10.1.2.3')!]).to.deep.equal([10, 1, 2, 3]);
    expect([...parseIpAddress('::1')!]).to.deep.equal([...Array(15).fill(0), 1]);
    expect([...parseIpAddress('[fe80::1%eth0]')!]).to.deep.equal([0xfe, 0x80, ...Array(13).fill(0), 1]);
    expect([...parseIpAddress('::ffff:127.0.0.1')!]).to.deep.equal([...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]);
    expect([...parseIpAddress('2001:db8:0:0:0:0:2:1')!]).to.deep.equal([0x20, 0x01, 0x0d, 0xb8, ...Array(8).fill(0), 0, 2, 0, 1]);
    expect(parseIpAddress('remote.test')).to.equal(undefined);
    expect(parseIpAddress('256.0.0.1')).to.equal(undefined);
  });

  it('matches prefixes on and off byte boundaries', () => {
    const set = new IpRangeSet(['172.16.0.0/12', '100.64.0.0/10', 'fc00::/7', '192.0.2.7']);
    expect(set.contains('172.31.255.255')).to.equal(true);
    expect(set.contains('172.32.0.0')).to.equal(false);
    expect(set.contains('100.127.0.1')).to.equal(true);
    expect(set.contains('100.128.0.1')).to.equal(false);
    expect(set.contains('fdab::1')).to.equal(true);
    expect(set.contains('fe00::1')).to.equal(false);
    expect(set.contains('192.0.2.7')).to.equal(true);
    expect(set.contains('192.0.2.8')).to.equal(false);
    expect(new IpRangeSet(['0.0.0.0/0']).contains('8.8.8.8')).to.equal(true);
    expect(new IpRangeSet(['0.0.0.0/0']).contains('2001:4860::8888')).to.equal(false);
  });

  it('checks IPv4-mapped IPv6 addresses against IPv4 ranges, and IPv4 against mapped ranges', () => {
    expect(new IpRangeSet(['127.0.0.0/8']).contains('::ffff:127.0.0.1')).to.equal(true);
    expect(new IpRangeSet(['127.0.0.0/8']).contains('::ffff:7f00:1')).to.equal(true);
    expect(new IpRangeSet(['::ffff:10.0.0.0/104']).contains('10.9.9.9')).to.equal(true);
    expect(new IpRangeSet(['127.0.0.0/8']).contains('::127.0.0.1')).to.equal(false);
  });

  it('rejects malformed ranges', () => {
    for (const bad of ['10.0.0.0/33', '::/129', 'remote.test/8', '10.0.0.0/8/1', '10.0.0.0/x', '']) {
      expect(() => new IpRangeSet([bad]), bad).to.throw('Invalid IP range');
    }
  });

  describe('IpAddressFilter', () => {
    const filter = new IpAddressFilter({ denyList: defaultIpRangeBlacklist, allowList: ['127.0.0.1/32', 'fd00::5'] });

    it('refuses deny-listed addresses unless allow-listed', () => {
      expect(filter.isAllowed('127.0.0.2')).to.equal(false);
      expect(filter.isAllowed('::ffff:127.0.0.2')).to.equal(false);
      expect(filter.isAllowed('192.168.1.1')).to.equal(false);
      expect(filter.isAllowed('::1')).to.equal(false);
      expect(filter.isAllowed('fd00::6')).to.equal(false);
      expect(filter.isAllowed('127.0.0.1')).to.equal(true);
      expect(filter.isAllowed('::ffff:127.0.0.1')).to.equal(true);
      expect(filter.isAllowed('fd00::5')).to.equal(true);
      expect(filter.isAllowed('93.184.216.34')).to.equal(true);
      expect(filter.isAllowed('2606:2800:220:1::1')).to.equal(true);
    });

    it('always refuses the unspecified addresses and non-addresses', () => {
      const open = new IpAddressFilter({ denyList: [], allowList: ['0.0.0.0/0', '::/0'] });
      expect(open.isAllowed('0.0.0.0')).to.equal(false);
      expect(open.isAllowed('::')).to.equal(false);
      expect(open.isAllowed('::ffff:0.0.0.0')).to.equal(false);
      expect(open.isAllowed('remote.test')).to.equal(false);
      expect(open.isAllowed('127.0.0.1')).to.equal(true);
    });
  });
});
