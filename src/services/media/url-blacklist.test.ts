import { expect } from 'chai';
import { UrlBlacklist } from './url-blacklist.ts';

describe('url_preview_url_blacklist (Synapse semantics)', function () {
  // The examples of Synapse's configuration documentation.
  const blacklist = new UrlBlacklist([
    { username: '*' },
    { netloc: 'google.com' },
    { netloc: '*.google.com' },
    { scheme: 'http' },
    { netloc: 'www.acme.com', path: '/foo' },
    { netloc: '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$' },
  ]);
  const blocks = (url: string) => blacklist.blocks(new URL(url));

  it('blocks a URL when every part an entry names matches, globs matching the whole part', function () {
    expect(blocks('https://user@example.org/')).to.equal(true);
    expect(blocks('https://google.com/search')).to.equal(true);
    expect(blocks('https://mail.google.com/')).to.equal(true);
    expect(blocks('https://google.com.evil.org/')).to.equal(false);
    expect(blocks('http://example.org/')).to.equal(true);
    expect(blocks('https://www.acme.com/foo')).to.equal(true);
    expect(blocks('https://www.acme.com/foo/bar')).to.equal(false);
    expect(blocks('https://www.acme.com/bar')).to.equal(false);
    expect(blocks('https://93.184.216.34/')).to.equal(true);
    expect(blocks('https://example.org/')).to.equal(false);
  });

  it('an entry naming a part the URL lacks does not match; the port is a string; sets and ? work', function () {
    const list = new UrlBlacklist([{ password: '*' }, { port: '8?8?' }, { hostname: 'host[0-9].example.org' }, { path: '/[!a]*' }]);
    expect(list.blocks(new URL('https://example.org/a'))).to.equal(false);
    expect(list.blocks(new URL('https://u:p@example.org/a'))).to.equal(true);
    expect(list.blocks(new URL('https://example.org:8888/a'))).to.equal(true);
    expect(list.blocks(new URL('https://host7.example.org/a'))).to.equal(true);
    expect(list.blocks(new URL('https://example.org/b'))).to.equal(true);
  });
});
