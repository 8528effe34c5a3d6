import { expect } from 'chai';
import { isServerName, parseServerName, splitServerName } from './server-name.ts';

describe('server names (appendices "Server Name")', () => {
  it('accepts the appendix examples', () => {
    for (const name of ['matrix.org', 'matrix.org:8888', '1.2.3.4', '1.2.3.4:1234', '[1234:5678::abcd]', '[1234:5678::abcd]:5678']) {
      expect(isServerName(name), name).to.equal(true);
    }
  });

  it('splits host, port and kind', () => {
    expect(splitServerName('matrix.org')).to.deep.equal({ host: 'matrix.org', port: undefined, kind: 'dns' });
    expect(splitServerName('matrix.org:8448')).to.deep.equal({ host: 'matrix.org', port: 8448, kind: 'dns' });
    expect(splitServerName('10.0.0.1:1')).to.deep.equal({ host: '10.0.0.1', port: 1, kind: 'ipv4' });
    expect(splitServerName('[::1]:65535')).to.deep.equal({ host: '[::1]', port: 65535, kind: 'ipv6' });
    expect(splitServerName('[::1]')).to.deep.equal({ host: '[::1]', port: undefined, kind: 'ipv6' });
  });

  describe('DNS names: dns-name = 1*255dns-char (DIGIT / ALPHA / "-" / ".")', () => {
    it('accepts letters of either case, digits, hyphens and dots', () => {
      for (const name of ['localhost', 'a', 'MATRIX.ORG', 'my-server.example.com', 'xn--bcher-kva.example', '123.example', '1234']) {
        expect(isServerName(name), name).to.equal(true);
      }
    });

    it('accepts up to 255 characters and no more', () => {
      expect(isServerName('a'.repeat(255))).to.equal(true);
      expect(isServerName(`${'a'.repeat(255)}:8448`)).to.equal(true);
      expect(isServerName('a'.repeat(256))).to.equal(false);
    });

    it('rejects other characters and the empty name', () => {
      for (const name of ['', 'matrix_org', 'matrix org', 'matrix.org/', 'user@matrix.org', 'mätrix.org', 'exa\nmple.com', 'matrix.org\n', '*.matrix.org']) {
        expect(isServerName(name), JSON.stringify(name)).to.equal(false);
      }
    });
  });

  describe('ports: port = 1*5DIGIT, usable from 1 to 65535', () => {
    it('accepts 1 to 65535, leading zeros included', () => {
      for (const name of ['h:1', 'h:80', 'h:65535', 'h:08448']) expect(isServerName(name), name).to.equal(true);
    });

    it('rejects 0, above 65535, more than 5 digits, an empty or non-numeric port, and two ports', () => {
      for (const name of ['h:0', 'h:00000', 'h:65536', 'h:99999', 'h:123456', 'h:', 'h:http', 'h:-1', 'h:+80', 'h:8448:8448', ':8448', 'h: 80']) {
        expect(isServerName(name), name).to.equal(false);
      }
    });
  });

  describe('IPv4 literals: four numbers "in the range 0 to 255"', () => {
    it('accepts dotted quads within range', () => {
      for (const name of ['0.0.0.0', '255.255.255.255', '127.0.0.1:8008', '001.002.003.004']) expect(isServerName(name), name).to.equal(true);
    });

    it('rejects dotted quads out of range rather than reading them as DNS names', () => {
      for (const name of ['256.0.0.1', '1.2.3.999', '1.2.3.256:80']) expect(isServerName(name), name).to.equal(false);
    });

    it('reads what is not a dotted quad of 1–3 digit numbers as a DNS name', () => {
      expect(splitServerName('1.2.3.4000')?.kind).to.equal('dns');
      expect(splitServerName('1.2.3')?.kind).to.equal('dns');
    });
  });

  describe('IPv6 literals: "[" IPv6address "]" per RFC 3513 section 2.2', () => {
    it('accepts full, compressed and IPv4-suffixed forms, in either case', () => {
      for (const address of ['::', '::1', '1::', '2001:db8::8:800:200c:417a', '2001:DB8:0:0:8:800:200C:417A', 'fe80::1:2', '1:2:3:4:5:6:7::', '::ffff:192.0.2.128', '1:2:3:4:5:6:1.2.3.4', '::13.1.68.3']) {
        expect(isServerName(`[${address}]`), address).to.equal(true);
        expect(isServerName(`[${address}]:8448`), `${address} with port`).to.equal(true);
      }
    });

    it('rejects unbracketed, malformed, too long and too short addresses', () => {
      const bad = [
        '::1', '[::1', '::1]', '[]', '[:]', '[1]', '[:::]', '[1::2::3]', '[1:2:3:4:5:6:7]', '[1:2:3:4:5:6:7:8:9]', '[1:2:3:4:5:6:7:8::]',
        '[12345::]', '[g::1]', '[::1%eth0]', '[:1:2:3:4:5:6:7]', '[1:2:3:4:5:6:7:]', '[1.2.3.4]', '[::1.2.3.256]', '[::1.2.3]',
        '[1.2.3.4::]', '[::1.2.3.4:1]', '[1:2:3:4:5:6:7:1.2.3.4]', '[::1]:', '[::1]:0', '[::1]80', `[${'0:'.repeat(15)}0]`,
      ];
      for (const name of bad) expect(isServerName(name), name).to.equal(false);
    });
  });

  it('parseServerName returns the branded name or throws M_INVALID_PARAM', () => {
    expect(parseServerName('example.org:8448')).to.equal('example.org:8448');
    expect(() => parseServerName('exa mple.org')).to.throw('Invalid server name').with.property('errcode', 'M_INVALID_PARAM');
  });
});
