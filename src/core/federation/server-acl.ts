/**
 * Server ACLs (client-server-api "Server Access Control Lists (ACLs) for rooms", the m.room.server_acl
 * event; server-server-api "Server Access Control Lists (ACLs)"): whether a server may take part in a
 * room. The globs are matched case-insensitively (appendices "Glob-style matching") against the server
 * name without its port. Evaluated as the reference implementations do: IP literals first (when
 * `allow_ip_literals` is false), then `deny`, then `allow`; a server no `allow` entry matches is denied.
 */
import type { JsonObject } from '../canonical-json.ts';
import { splitServerName } from '../ids/server-name.ts';

/**
 * Whether the ACL content (of the room's m.room.server_acl state event) lets `serverName` in. A room
 * without that event has no ACL: callers only ask when there is one.
 */
export function isServerAllowedByAcl(serverName: string, acl: JsonObject): boolean {
  const parts = splitServerName(serverName);
  // An origin that is not a server name cannot be matched reliably: fail closed.
  if (!parts) return false;
  // "Defaults to true if missing or otherwise not a boolean."
  if (acl.allow_ip_literals === false && parts.kind !== 'dns') return false;
  // "evaluated against server names excluding any port information"
  const host = parts.host;
  if (globs(acl.deny).some((glob) => glob.test(host))) return false;
  // `allow` "defaults to an empty list when not provided, effectively disallowing every server."
  return globs(acl.allow).some((glob) => glob.test(host));
}

/** The string entries of an ACL list as anchored, case-insensitive expressions; other entries are ignored. */
function globs(list: unknown): RegExp[] {
  if (!Array.isArray(list)) return [];
  return list.filter((entry): entry is string => typeof entry === 'string').map(globToRegExp);
}

/** appendices "Glob-style matching": `*` matches zero or more characters, `?` exactly one. */
function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\^$\\.*+?()[\]{}|/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'isu');
}
