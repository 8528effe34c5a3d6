import { expect } from 'chai';
import { parseXMatrixCredentials } from './federation-auth.ts';

describe('parseXMatrixCredentials (server-server-api "Request Authentication", RFC 9110 §11.4)', function () {
  it('reads the spec\'s example header', function () {
    expect(parseXMatrixCredentials('X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."')).to.deep.equal({
      origin: 'origin.hs.example.com',
      destination: 'destination.hs.example.com',
      key: 'ed25519:key1',
      sig: 'ABCDEF...',
    });
  });

  it('allows any case in the scheme and names, spaces and tabs around commas, any order, unquoted values with colons', function () {
    expect(parseXMatrixCredentials('x-matrix   SIG=abc , \tKey=ed25519:k1,Origin=a.example:8448')).to.deep.equal({ origin: 'a.example:8448', key: 'ed25519:k1', sig: 'abc' });
  });

  it('unescapes backslash pairs in quoted values and ignores unknown parameters', function () {
    expect(parseXMatrixCredentials('X-Matrix origin="a\\"b",key="ed25519:k",sig="s",extra="x, y"')).to.deep.equal({ origin: 'a"b', key: 'ed25519:k', sig: 's' });
  });

  it('keeps an empty destination apart from a missing one', function () {
    expect(parseXMatrixCredentials('X-Matrix origin=a,destination="",key=ed25519:k,sig=s')).to.deep.include({ destination: '' });
  });

  it('refuses other schemes, missing parameters, repeated parameters and garbage', function () {
    for (const header of [
      'Bearer abc',
      'X-Matrixorigin=a,key=k,sig=s',
      'X-Matrix origin=a,key=ed25519:k',
      'X-Matrix origin=a,origin=b,key=ed25519:k,sig=s',
      'X-Matrix origin="a,key=ed25519:k,sig=s',
      'X-Matrix origin=a key=ed25519:k sig=s',
      'X-Matrix ',
    ]) {
      expect(parseXMatrixCredentials(header), header).to.equal(undefined);
    }
  });
});
