/**
 * url_preview_url_blacklist, as Synapse reads it: a list of entries, each mapping parts of a URL (the
 * attributes of Python's urlsplit: scheme, netloc, hostname, port, path, query, fragment, username,
 * password) to a pattern, a regular expression when it starts with `^`, else a shell glob (`*`, `?`,
 * `[…]`). A URL is blocked by an entry when every part the entry names is present and matches.
 */

export type UrlPart = 'scheme' | 'netloc' | 'hostname' | 'port' | 'path' | 'query' | 'fragment' | 'username' | 'password';
export type UrlBlacklistEntry = Partial<Record<UrlPart, string>>;

type Matcher = (value: string) => boolean;

export class UrlBlacklist {
  private readonly entries: Array<Array<[UrlPart, Matcher]>>;

  constructor(entries: readonly UrlBlacklistEntry[]) {
    this.entries = entries.map((entry) => Object.entries(entry).map(([part, pattern]) => [part as UrlPart, matcherOf(pattern!)]));
  }

  blocks(url: URL): boolean {
    const parts = urlParts(url);
    return this.entries.some((entry) =>
      entry.every(([part, matches]) => {
        const value = parts[part];
        return value !== undefined && matches(value);
      }),
    );
  }
}

/** The parts of `url` as urlsplit names them; a part the URL does not have is undefined, as Python's None. */
function urlParts(url: URL): Record<UrlPart, string | undefined> {
  const credentials = url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return {
    scheme: url.protocol.slice(0, -1),
    netloc: credentials + url.host,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
    path: url.pathname,
    query: url.search.slice(1),
    fragment: url.hash.slice(1),
    username: url.username || undefined,
    password: url.password || undefined,
  };
}

function matcherOf(pattern: string): Matcher {
  // Python's re.match anchors at the start; the leading ^ does that here.
  const regex = pattern.startsWith('^') ? new RegExp(pattern) : globToRegExp(pattern);
  return (value) => regex.test(value);
}

/** fnmatch: `*` any run, `?` one character, `[seq]` / `[!seq]` a set; the whole value must match. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
        continue;
      }
      let set = glob.slice(i + 1, end);
      set = set.startsWith('!') ? `^${set.slice(1)}` : set.startsWith('^') ? `\\${set}` : set;
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
