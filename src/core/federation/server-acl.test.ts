import { expect } from 'chai';
import { isServerAllowedByAcl } from './server-acl.ts';

describe('Server ACLs (m.room.server_acl)', function () {
  it('allows the servers an allow glob matches and denies the rest', function () {
    const acl = { allow: ['*.example.org', 'matrix.org'] };
    expect(isServerAllowedByAcl('chat.example.org', acl)).to.equal(true);
    expect(isServerAllowedByAcl('matrix.org', acl)).to.equal(true);
    expect(isServerAllowedByAcl('example.org', acl)).to.equal(false);
    expect(isServerAllowedByAcl('other.net', acl)).to.equal(false);
  });

  it('denies every server when allow is missing or not a list', function () {
    expect(isServerAllowedByAcl('matrix.org', {})).to.equal(false);
    expect(isServerAllowedByAcl('matrix.org', { allow: '*' })).to.equal(false);
  });

  it('lets deny win over allow', function () {
    const acl = { allow: ['*'], deny: ['evil.com', '*.evil.com'] };
    expect(isServerAllowedByAcl('evil.com', acl)).to.equal(false);
    expect(isServerAllowedByAcl('sub.evil.com', acl)).to.equal(false);
    expect(isServerAllowedByAcl('notevil.com', acl)).to.equal(true);
  });

  it('matches ? as exactly one character, and other characters literally', function () {
    const acl = { allow: ['hs?.test'] };
    expect(isServerAllowedByAcl('hs1.test', acl)).to.equal(true);
    expect(isServerAllowedByAcl('hs12.test', acl)).to.equal(false);
    expect(isServerAllowedByAcl('hs.test', acl)).to.equal(false);
    expect(isServerAllowedByAcl('hs1xtest', acl)).to.equal(false);
  });

  it('matches case-insensitively and ignores the port', function () {
    const acl = { allow: ['Example.ORG'], deny: ['bad.test'] };
    expect(isServerAllowedByAcl('example.org:8448', acl)).to.equal(true);
    expect(isServerAllowedByAcl('BAD.test:443', { allow: ['*'], deny: ['bad.test'] })).to.equal(false);
  });

  it('ignores entries that are not strings', function () {
    expect(isServerAllowedByAcl('a.test', { allow: [42, null, 'a.test'], deny: [{}, true] })).to.equal(true);
  });

  it('denies IP literals only when allow_ip_literals is false', function () {
    const open = { allow: ['*'] };
    expect(isServerAllowedByAcl('1.2.3.4', open)).to.equal(true);
    expect(isServerAllowedByAcl('[::1]:8448', open)).to.equal(true);
    expect(isServerAllowedByAcl('1.2.3.4', { ...open, allow_ip_literals: 'no' })).to.equal(true);
    const closed = { allow: ['*'], allow_ip_literals: false };
    expect(isServerAllowedByAcl('1.2.3.4', closed)).to.equal(false);
    expect(isServerAllowedByAcl('1.2.3.4:8448', closed)).to.equal(false);
    expect(isServerAllowedByAcl('[2001:db8::1]', closed)).to.equal(false);
    expect(isServerAllowedByAcl('matrix.org', closed)).to.equal(true);
  });

  it('matches IP literals against the globs like names', function () {
    expect(isServerAllowedByAcl('10.0.0.1', { allow: ['10.0.0.*'] })).to.equal(true);
    expect(isServerAllowedByAcl('10.0.1.1', { allow: ['10.0.0.*'] })).to.equal(false);
  });

  it('denies an origin that is not a server name', function () {
    expect(isServerAllowedByAcl('not a server', { allow: ['*'] })).to.equal(false);
  });
});
