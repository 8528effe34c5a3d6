/**
 * CIDR ranges for the outbound IP deny and allow lists (`ip_range_blacklist` / `ip_range_whitelist`), so a
 * remote server name cannot point us at our own network. Addresses are compared as bytes; an IPv4-mapped
 * IPv6 address (`::ffff:a.b.c.d`) is also checked as the IPv4 address it reaches, and an IPv4 address as its
 * mapped form, so neither notation slips past a range written in the other.
 */
import { isIPv4, isIPv6 } from 'node:net';

type IpRange = { bytes: Uint8Array; prefixLength: number };

export class IpRangeSet {
  private readonly ranges: IpRange[];

  /** `cidrs`: `a.b.c.d/n`, `x:y::z/n`, or a bare address (a single-address range). Throws on anything else. */
  constructor(cidrs: readonly string[]) {
    this.ranges = cidrs.map(parseIpRange);
  }

  /** Whether `address` (an IP literal; brackets and an IPv6 zone are ignored) lies in any range. */
  contains(address: string): boolean {
    const bytes = parseIpAddress(address);
    if (!bytes) return false;
    const forms = [bytes, otherForm(bytes)].filter((form): form is Uint8Array => form !== undefined);
    return this.ranges.some((range) => forms.some((form) => inRange(form, range)));
  }
}

/**
 * The outbound rule: an address in the deny list is refused unless the allow list holds it. The unspecified
 * addresses (0.0.0.0/8 and ::) reach the local host on common systems, so they are refused whatever the lists say.
 */
export class IpAddressFilter {
  private readonly deny: IpRangeSet;
  private readonly allow: IpRangeSet;
  private static readonly alwaysDenied = new IpRangeSet(['0.0.0.0/8', '::/128']);

  constructor(options: { denyList: readonly string[]; allowList: readonly string[] }) {
    this.deny = new IpRangeSet(options.denyList);
    this.allow = new IpRangeSet(options.allowList);
  }

  isAllowed(address: string): boolean {
    if (parseIpAddress(address) === undefined || IpAddressFilter.alwaysDenied.contains(address)) return false;
    return !this.deny.contains(address) || this.allow.contains(address);
  }
}

/** The 4 or 16 bytes of an IPv4 or IPv6 literal, or undefined if `text` is neither. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(address)) return Uint8Array.from(address.split('.'), Number);
  if (!isIPv6(address)) return undefined;
  // Expand "::" and a trailing dotted IPv4 part into eight 16-bit groups.
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  const hex = v4Tail ? address.slice(0, -v4Tail[1]!.length) + ipv4AsGroups(v4Tail[1]!) : address;
  const [head, tail] = hex.split('::') as [string, string | undefined];
  const groupsOf = (part: string | undefined) => (part ? part.split(':').filter((group) => group !== '') : []);
  const headGroups = groupsOf(head);
  const tailGroups = groupsOf(tail);
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

function parseIpRange(cidr: string): IpRange {
  const [address, prefix, ...extra] = cidr.trim().split('/');
  const bytes = parseIpAddress(address!);
  const maxLength = bytes ? bytes.length * 8 : 0;
  const prefixLength = prefix === undefined ? maxLength : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!bytes || extra.length > 0 || !(prefixLength >= 0 && prefixLength <= maxLength)) {
    throw new Error(`Invalid IP range ${JSON.stringify(cidr)}: expected an address or CIDR range such as 10.0.0.0/8 or fc00::/7`);
  }
  return { bytes, prefixLength };
}

function inRange(address: Uint8Array, range: IpRange): boolean {
  if (address.length !== range.bytes.length) return false;
  const wholeBytes = range.prefixLength >> 3;
  for (let i = 0; i < wholeBytes; i++) if (address[i] !== range.bytes[i]) return false;
  const restBits = range.prefixLength & 7;
  if (restBits === 0) return true;
  const mask = (0xff << (8 - restBits)) & 0xff;
  return (address[wholeBytes]! & mask) === (range.bytes[wholeBytes]! & mask);
}

const mappedPrefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** IPv4 ↔ IPv4-mapped IPv6 (RFC 4291 section 2.5.5.2): the same host in the other family, if any. */
function otherForm(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length === 4) return Uint8Array.from([...mappedPrefix, ...bytes]);
  return mappedPrefix.every((byte, i) => bytes[i] === byte) ? bytes.slice(12) : undefined;
}

function ipv4AsGroups(ipv4: string): string {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
