/**
 * Server names (appendices "Server Name"): a DNS name, an IPv4 literal or a bracketed IPv6 literal,
 * with an optional port. Compared case-sensitively, as the spec requires.
 */
import { MatrixError } from '../errors.ts';

export type ServerName = string & { readonly __brand: 'ServerName' };

// `dns-name = 1*255dns-char` with `dns-char = DIGIT / ALPHA / "-" / "."`. The appendix only says names
// "should" be dot-separated labels, so the grammar, not hostname convention, decides what we accept.
const dnsName = /^[A-Za-z0-9.-]{1,255}$/;
// `IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT`, each number "in the range 0 to 255".
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// `"[" IPv6address "]"` with `IPv6address = 2*45IPv6char`; RFC 3513 decides the rest (isIpv6).
const ipv6Literal = /^\[([0-9A-Fa-f:.]{2,45})\]$/;
// `server_name = hostname [ ":" port ]`, `port = 1*5DIGIT` (and a usable port is 1–65535).
const withPort = /^(.*?)(?::(\d{1,5}))?$/s;

export interface ServerNameParts {
  host: string;
  port: number | undefined;
  kind: 'dns' | 'ipv4' | 'ipv6';
}

/** The host, port and kind of a server name; undefined when it breaks the grammar. */
export function splitServerName(text: string): ServerNameParts | undefined {
  const match = withPort.exec(text);
  if (!match) return undefined;
  const host = match[1]!;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const v6 = ipv6Literal.exec(host);
  if (v6) return isIpv6(v6[1]!) ? { host, port, kind: 'ipv6' } : undefined;
  // A dotted quad is an IPv4 literal, so one with a number above 255 is invalid, not a DNS name.
  if (ipv4.test(host)) return isIpv4(host) ? { host, port, kind: 'ipv4' } : undefined;
  return dnsName.test(host) ? { host, port, kind: 'dns' } : undefined;
}

export function isServerName(text: string): text is ServerName {
  return splitServerName(text) !== undefined;
}

export function parseServerName(text: string): ServerName {
  if (!isServerName(text)) throw new MatrixError('M_INVALID_PARAM', `Invalid server name: ${JSON.stringify(text)}`);
  return text;
}

function isIpv4(address: string): boolean {
  const octets = ipv4.exec(address);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * RFC 3513 section 2.2 text forms: eight 16-bit groups, "::" at most once standing for one or more
 * zero groups, and optionally an IPv4 address in place of the last two groups.
 */
function isIpv6(address: string): boolean {
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  // Only the very end of the address may be an IPv4 part: the last group of the last half.
  const lastHalf = groups.at(-1)!;
  const tail = lastHalf.at(-1);
  const hasIpv4Tail = tail !== undefined && tail.includes('.');
  if (hasIpv4Tail && !isIpv4(tail)) return false;
  if (hasIpv4Tail) lastHalf.pop();
  const hexGroups = groups.flat();
  if (!hexGroups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  const width = hexGroups.length + (hasIpv4Tail ? 2 : 0);
  return halves.length === 2 ? width < 8 : width === 8;
}
