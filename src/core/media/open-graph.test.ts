import { expect } from 'chai';
import { Parser } from 'htmlparser2';
import { OpenGraphCollector, summarizeParagraphs } from './open-graph.ts';

/** The page through a streaming tokenizer, as the URL previewer feeds it, optionally in small pieces. */
function openGraphOf(html: string, chunkSize = html.length || 1) {
  const collector = new OpenGraphCollector();
  const parser = new Parser({
    onopentag: (name, attributes) => collector.openTag(name, attributes),
    ontext: (text) => collector.text(text),
    onclosetag: (name) => collector.closeTag(name),
  });
  for (let i = 0; i < html.length; i += chunkSize) parser.write(html.slice(i, i + chunkSize));
  parser.end();
  return collector.result();
}

describe('client-server-api GET /media/preview_url: OpenGraph data of an HTML page', function () {
  it('takes og:, article: and profile: meta properties as they are, entities decoded', function () {
    const og = openGraphOf(`<html><head>
      <meta property="og:title" content="Matrix Blog &amp; News">
      <meta property="og:description" content="A short description">
      <meta property="og:image" content="/logo.png">
      <meta property="og:image:width" content="48">
      <meta property="article:author" content="Alice">
      <meta property="og:empty" content="">
      <meta property="OG:shout" content="ignored: the prefix is case-sensitive">
      <title>Not this one</title></head><body><p>Nor this text.</p></body></html>`);
    expect(og).to.deep.equal({
      'og:title': 'Matrix Blog & News',
      'og:description': 'A short description',
      'og:image': '/logo.png',
      'og:image:width': '48',
      'article:author': 'Alice',
    });
  });

  it('fills gaps from Twitter card tags without overriding OpenGraph, and drops the card-only ones', function () {
    const og = openGraphOf(`<meta property="og:title" content="OG title">
      <meta name="twitter:title" content="Twitter title"><meta name="twitter:description" content="Twitter description">
      <meta name="twitter:image" content="https://example.org/card.png"><meta name="twitter:card" content="summary">
      <meta name="twitter:site" content="@matrixdotorg">`);
    expect(og).to.deep.equal({ 'og:title': 'OG title', 'og:description': 'Twitter description', 'og:image': 'https://example.org/card.png' });
  });

  it('ignores all tags of a prefix when a page has more than 50 of them', function () {
    const tags = Array.from({ length: 51 }, (_, i) => `<meta property="og:tag${i}" content="${i}">`).join('');
    const og = openGraphOf(`<head>${tags}<title>Fallback</title></head>`);
    expect(og['og:title']).to.equal('Fallback');
    expect(Object.keys(og).filter((key) => key.startsWith('og:tag'))).to.deep.equal([]);
  });

  it('falls back to the title, else the first non-empty h1-h3, for og:title', function () {
    expect(openGraphOf('<html><head><title>  The title  </title></head><body><h1>Heading</h1></body></html>')['og:title']).to.equal('The title');
    expect(openGraphOf('<body><h2> </h2><h1><a href="/">Linked heading</a></h1><h3>Later</h3></body>')['og:title']).to.equal('Linked heading');
    expect(openGraphOf('<body><p>no heading</p></body>')).to.not.have.property('og:title');
  });

  it('falls back to a microdata image, then the largest <img> over 10×10, then the first <img>, then the favicon', function () {
    const favicon = '<link rel="shortcut icon" href="/favicon.ico">';
    expect(openGraphOf(`${favicon}<meta itemprop="image" content="/micro.png"><img src="/big.png" width="500" height="500">`)['og:image']).to.equal('/micro.png');
    expect(openGraphOf(`${favicon}<img src="/first.png"><img src="/tiny.png" width="10" height="900"><img src="/wide.png" width="300" height="20"><img src="/square.png" width="100" height="100"><img src="/same.png" width="100" height="100">`)['og:image']).to.equal('/square.png');
    expect(openGraphOf(`${favicon}<img src=""><img src="/first.png" width="5" height="5"><img src="/second.png">`)['og:image']).to.equal('/first.png');
    expect(openGraphOf(`<head>${favicon}</head>`)['og:image']).to.equal('/favicon.ico');
    expect(openGraphOf('<p>no image</p>')).to.not.have.property('og:image');
  });

  it('falls back to the meta description, else the visible text of the page', function () {
    expect(openGraphOf('<meta name="Description" content="Meta description"><p>Body text</p>')['og:description']).to.equal('Meta description');
    const page = `<html><head><title>Title</title><style>p { color: red }</style></head><body>
      <nav>Home | About</nav><header>Site header</header><script>var hidden = 1;</script>
      <ul role="menu"><li>Menu item</li></ul>
      <p>First   paragraph,
      on two lines.</p><svg><text>drawing</text></svg><p>Second &amp; last.</p><footer>Footer</footer></body></html>`;
    expect(openGraphOf(page, 7)['og:description']).to.equal('First paragraph, on two lines.\n\nSecond & last.');
  });

  it('summarizes a long og:description and long page text at a word boundary with an ellipsis', function () {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const description = openGraphOf(`<meta property="og:description" content="${words}">`)['og:description']!;
    expect(description.endsWith('…')).to.equal(true);
    expect(description.length).to.be.at.most(501);
    expect(words.startsWith(description.slice(0, -1))).to.equal(true);
    expect(openGraphOf(`<body><p>${words}</p></body>`)['og:description']).to.equal(description);
  });
});

describe('summarizeParagraphs (Synapse summarize_paragraphs)', function () {
  it('takes whole paragraphs until the minimum, separated by blank lines', function () {
    expect(summarizeParagraphs(['a'.repeat(150), 'b'.repeat(60), 'c'.repeat(10)])).to.equal(`${'a'.repeat(150)}\n\n${'b'.repeat(60)}`);
    expect(summarizeParagraphs(['', '  '])).to.equal(undefined);
  });

  it('keeps one huge word up to the maximum', function () {
    expect(summarizeParagraphs(['x'.repeat(800)])).to.equal(`${'x'.repeat(500)}…`);
  });
});
