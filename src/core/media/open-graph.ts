/**
 * The OpenGraph data of an HTML page, for URL previews (client-server-api GET /media/preview_url: "The
 * OpenGraph data for the URL"), with the fallbacks Synapse uses when a page has no `og:` tags: Twitter
 * card tags, then the title or first heading, a microdata image or the largest `<img>` or the favicon,
 * and the meta description or the first paragraphs of the visible text.
 *
 * The collector is fed the events of a streaming HTML tokenizer (tags with their lowercased attribute
 * names and decoded values, text, closing tags) instead of a document tree, so a page costs memory for
 * its tag nesting and what is kept, never for a tree of the whole page; core/ stays free of the parser.
 */

export type HtmlAttributes = Readonly<Record<string, string>>;

/** Tag name → content, as found in the page; `og:image` may still be a relative URL. */
export type OpenGraphTags = Record<string, string>;

/** Synapse ignores a prefix's tags altogether when a page has this many: it is not describing itself. */
const maxTagsPerPrefix = 50;
const propertyPrefixes = ['og', 'article', 'profile'] as const;
const prefixedProperty = new RegExp(`^(${propertyPrefixes.join('|')}):`);

/** Text in these elements is not what a reader of the page sees as its content. */
const hiddenTextElements = new Set(['head', 'header', 'nav', 'aside', 'footer', 'script', 'noscript', 'style', 'svg', 'iframe', 'video', 'canvas', 'img', 'picture']);
const hiddenTextRoles = new Set(['directory', 'menu', 'menubar', 'toolbar']);
const headingElements = new Set(['title', 'h1', 'h2', 'h3']);

/** summarizeParagraphs: enough paragraphs for `min` characters, cut at a word before `max`. */
const summaryMin = 200;
const summaryMax = 500;

class PrefixedTags {
  readonly tags = new Map<string, string>();
  overflowed = false;

  add(key: string | undefined, content: string): void {
    if (this.tags.size >= maxTagsPerPrefix) this.overflowed = true;
    else if (key !== undefined) this.tags.set(key, content);
  }

  entries(): Array<[string, string]> {
    return this.overflowed ? [] : [...this.tags];
  }
}

export class OpenGraphCollector {
  private readonly properties = new Map<string, PrefixedTags>(propertyPrefixes.map((prefix) => [prefix, new PrefixedTags()]));
  private readonly twitter = new PrefixedTags();
  /** Open elements, innermost last, and how many of them hide their text. */
  private readonly open: Array<{ name: string; hidesText: boolean }> = [];
  private hidingDepth = 0;
  private pendingText = '';

  private heading: { depth: number; text: string } | undefined;
  private title: string | undefined;
  private microdataImage: string | undefined;
  private firstImage: string | undefined;
  private largestImage: { src: string; area: number } | undefined;
  private favicon: string | undefined;
  private metaDescription: string | undefined;
  /** The visible text nodes, only as many as a summary can use. */
  private readonly paragraphs: string[] = [];
  private paragraphsLength = 0;

  openTag(name: string, attributes: HtmlAttributes): void {
    this.flushText();
    if (name === 'meta') this.meta(attributes);
    else if (name === 'img') this.image(attributes);
    else if (name === 'link' && this.favicon === undefined && nonBlank(attributes.href) && tokens(attributes.rel).includes('icon')) this.favicon = attributes.href;
    const hidesText = this.hidingDepth > 0 || hiddenTextElements.has(name) || hiddenTextRoles.has(attributes.role ?? '');
    if (hidesText) this.hidingDepth++;
    this.open.push({ name, hidesText });
    if (this.title === undefined && this.heading === undefined && headingElements.has(name)) this.heading = { depth: this.open.length, text: '' };
  }

  text(text: string): void {
    // A tokenizer may split one text node (around entities, between chunks): it is whole at the next tag.
    this.pendingText += text;
  }

  closeTag(name: string): void {
    this.flushText();
    const index = this.open.findLastIndex((element) => element.name === name);
    if (index < 0) return;
    while (this.open.length > index) {
      if (this.open.pop()!.hidesText) this.hidingDepth--;
      if (this.heading && this.open.length < this.heading.depth) {
        const text = this.heading.text.trim();
        this.heading = undefined;
        if (text !== '') this.title = text;
      }
    }
  }

  /** The page's OpenGraph tags; call once the document has ended. */
  result(): OpenGraphTags {
    this.flushText();
    const og: OpenGraphTags = Object.fromEntries([...this.properties.values()].flatMap((tags) => tags.entries()));
    for (const [key, content] of this.twitter.entries()) if (!(key in og)) og[key] = content;
    const title = this.title ?? this.heading?.text.trim();
    if (!('og:title' in og) && title) og['og:title'] = title;
    if (!('og:image' in og)) {
      const image = this.microdataImage ?? this.largestImage?.src ?? this.firstImage ?? this.favicon;
      if (image !== undefined) og['og:image'] = image;
    }
    if (!('og:description' in og)) {
      const description = this.metaDescription ?? summarizeParagraphs(this.paragraphs.map((node) => node.replace(/\s+/g, '\n').trim()));
      if (description !== undefined) og['og:description'] = description;
    } else if (og['og:description']) {
      const summary = summarizeParagraphs([og['og:description']]);
      if (summary === undefined) delete og['og:description'];
      else og['og:description'] = summary;
    }
    return og;
  }

  private meta(attributes: HtmlAttributes): void {
    const content = attributes.content;
    if (!nonBlank(content)) return;
    const property = attributes.property ?? '';
    const prefix = prefixedProperty.exec(property)?.[1];
    if (prefix) this.properties.get(prefix)!.add(property, content);
    const name = attributes.name;
    if (name?.startsWith('twitter:')) this.twitter.add(twitterToOpenGraph(name), content);
    if (this.microdataImage === undefined && /image/i.test(attributes.itemprop ?? '')) this.microdataImage = content;
    if (this.metaDescription === undefined && /description/i.test(name ?? '')) this.metaDescription = content;
  }

  private image(attributes: HtmlAttributes): void {
    const { src, width, height } = attributes;
    if (!nonBlank(src)) return;
    this.firstImage ??= src;
    if (!nonBlank(width) || !nonBlank(height)) return;
    // "Try to find images which are larger than 10px by 10px", the largest first (the first of equals).
    const [w, h] = [dimension(width), dimension(height)];
    if (w > 10 && h > 10 && (!this.largestImage || w * h > this.largestImage.area)) this.largestImage = { src, area: w * h };
  }

  private flushText(): void {
    const text = this.pendingText;
    if (text === '') return;
    this.pendingText = '';
    if (this.heading) this.heading.text += text;
    if (this.hidingDepth === 0 && this.paragraphsLength < summaryMin) {
      this.paragraphs.push(text);
      // What summarizeParagraphs counts: the node with its whitespace collapsed, and a paragraph break.
      this.paragraphsLength += text.replace(/\s+/g, ' ').trim().length + 2;
    }
  }
}

/**
 * A description from text paragraphs (Synapse's summarize_paragraphs): whole paragraphs until at least
 * `min` characters, then, past `max`, cut at a word boundary with an ellipsis. Undefined for no text.
 */
export function summarizeParagraphs(paragraphs: Iterable<string>, min = summaryMin, max = summaryMax): string | undefined {
  let description = '';
  for (const paragraph of paragraphs) {
    if (description.length >= min) break;
    description += paragraph.replace(/[\t \r\n]+/g, ' ') + '\n\n';
  }
  description = description.trim().replace(/[\t ]+/g, ' ').replace(/[\t \r\n]*[\r\n]+/g, '\n\n');
  if (description.length > max) {
    let cut = '';
    for (const [word] of description.matchAll(/\s*\S+/g)) {
      if (word.length + cut.length < max) {
        cut += word;
      } else {
        // The next word would pass `max`; a huge first word is still taken, and cut below.
        if (cut.length < min) cut += word;
        break;
      }
    }
    description = Array.from(cut).slice(0, max).join('').trim() + '…';
  }
  return description === '' ? undefined : description;
}

/** A Twitter card tag's OpenGraph name, or undefined for the tags that have none. */
function twitterToOpenGraph(name: string): string | undefined {
  if (name === 'twitter:card' || name === 'twitter:creator' || name === 'twitter:site') return undefined;
  return `og${name.slice('twitter'.length)}`;
}

function nonBlank(value: string | undefined): value is string {
  return value !== undefined && /./.test(value);
}

function tokens(value: string | undefined): string[] {
  return (value ?? '').toLowerCase().split(/\s+/);
}

/** An image attribute's pixels; anything but a plain number counts as 0, as in Synapse. */
function dimension(value: string): number {
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : 0;
}
