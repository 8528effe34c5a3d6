/**
 * Matrix identifiers (appendices "Common Identifier Format"): user IDs, room IDs, event IDs and room
 * aliases, as branded strings that only these parsers create. All are limited to 255 bytes of UTF-8,
 * sigil and domain included.
 *
 * The generic guards accept every form any room version uses; `isRoomIdInVersion` and
 * `isEventIdInVersion` accept only the form of one room version (rooms/v1 "Event IDs", rooms/v3 and
 * v4 "Event IDs", rooms/v12 "Event format").
 */
import { MatrixError } from '../errors.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';
import { isServerName, type ServerName } from './server-name.ts';

export type UserId = string & { readonly __brand: 'UserId' };
export type RoomId = string & { readonly __brand: 'RoomId' };
export type EventId = string & { readonly __brand: 'EventId' };
export type RoomAlias = string & { readonly __brand: 'RoomAlias' };

/** appendices: user IDs, room IDs, room aliases and event IDs "MUST NOT exceed 255 bytes". */
export const maxIdentifierBytes = 255;
const utf8 = new TextEncoder();

// appendices "User Identifiers": the localpart characters of user IDs created since v1.8.
const compliantLocalpart = /^[a-z0-9._=\-/+]+$/;
// appendices "Historical User IDs" (also room ID and alias localparts): any non-surrogate code point
// but ':' and NUL, even the empty string.
const opaqueLocalpart = /^[^:\0\p{Cs}]*$/u;
// A SHA-256 reference hash (32 bytes) in unpadded base64 is 43 characters: rooms/v3 event IDs use the
// standard alphabet, rooms/v4 event IDs and rooms/v12 room IDs the URL-safe one.
const standardHash = /^[A-Za-z0-9+/]{43}$/;
const urlSafeHash = /^[A-Za-z0-9_-]{43}$/;

/** The UTF-8 length, without encoding: code units below 0x80 take 1 byte, below 0x800 2, pairs 4, the rest 3. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // 2 code units become 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function withinLimit(text: string): boolean {
  // Fast path: no UTF-16 code unit takes more than 3 bytes of UTF-8.
  return text.length * 3 <= maxIdentifierBytes || utf8Length(text) <= maxIdentifierBytes;
}

/** `&localpart:domain` split at the first colon (a localpart has none; the domain may hold a port's). */
function splitSigiled(text: string, sigil: string): { localpart: string; domain: string } | undefined {
  if (!text.startsWith(sigil) || !withinLimit(text)) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { localpart: text.slice(1, colon), domain: text.slice(colon + 1) };
}

function invalid(kind: string, text: string): MatrixError {
  return new MatrixError('M_INVALID_PARAM', `Invalid ${kind}: ${JSON.stringify(text)}`);
}

/**
 * User IDs. `historical` accepts the wider localparts of appendices "Historical User IDs", which
 * servers MUST accept in events received over federation.
 */
export function isUserId(text: string, options: { historical?: boolean } = {}): text is UserId {
  const parts = splitSigiled(text, '@');
  if (!parts || !isServerName(parts.domain)) return false;
  return options.historical ? opaqueLocalpart.test(parts.localpart) : compliantLocalpart.test(parts.localpart);
}

export function parseUserId(text: string, options: { historical?: boolean } = {}): UserId {
  if (!isUserId(text, options)) throw invalid('user ID', text);
  return text;
}

/** Room IDs in any room version: `!opaque:domain` (versions 1–11) or `!` + URL-safe reference hash (12). */
export function isRoomId(text: string): text is RoomId {
  return isDomainRoomId(text) || isHashRoomId(text);
}

/** Room IDs in the form `rules` uses (appendices "Room IDs"; rooms/v12 "Event format"). */
export function isRoomIdInVersion(text: string, rules: Pick<RoomVersionRules, 'roomIdFormat'>): text is RoomId {
  return rules.roomIdFormat === 'server-generated' ? isDomainRoomId(text) : isHashRoomId(text);
}

function isDomainRoomId(text: string): boolean {
  const parts = splitSigiled(text, '!');
  return parts !== undefined && parts.localpart.length > 0 && opaqueLocalpart.test(parts.localpart) && isServerName(parts.domain);
}

// appendices "Room IDs": "the event ID of the m.room.create event using ! as the sigil".
function isHashRoomId(text: string): boolean {
  return text.startsWith('!') && urlSafeHash.test(text.slice(1));
}

export function parseRoomId(text: string): RoomId {
  if (!isRoomId(text)) throw invalid('room ID', text);
  return text;
}

/** Event IDs in any room version: `$opaque:domain` (versions 1–2) or `$` + reference hash (3 and later). */
export function isEventId(text: string): text is EventId {
  return isDomainEventId(text) || (text.startsWith('$') && (standardHash.test(text.slice(1)) || urlSafeHash.test(text.slice(1))));
}

/** Event IDs in the form `rules` uses: rooms/v1 `$opaque:domain`, rooms/v3 base64, rooms/v4 URL-safe base64. */
export function isEventIdInVersion(text: string, rules: Pick<RoomVersionRules, 'eventIdFormat'>): text is EventId {
  switch (rules.eventIdFormat) {
    case 'server-generated':
      return isDomainEventId(text);
    case 'reference-hash-base64':
      return text.startsWith('$') && standardHash.test(text.slice(1));
    case 'reference-hash-base64url':
      return text.startsWith('$') && urlSafeHash.test(text.slice(1));
  }
}

function isDomainEventId(text: string): boolean {
  const parts = splitSigiled(text, '$');
  return parts !== undefined && parts.localpart.length > 0 && opaqueLocalpart.test(parts.localpart) && isServerName(parts.domain);
}

export function parseEventId(text: string): EventId {
  if (!isEventId(text)) throw invalid('event ID', text);
  return text;
}

/** Room aliases: `#localpart:domain`, the localpart any non-surrogate code points but ':' and NUL. */
export function isRoomAlias(text: string): text is RoomAlias {
  const parts = splitSigiled(text, '#');
  return parts !== undefined && opaqueLocalpart.test(parts.localpart) && isServerName(parts.domain);
}

export function parseRoomAlias(text: string): RoomAlias {
  if (!isRoomAlias(text)) throw invalid('room alias', text);
  return text;
}

/** The server name of an identifier with a domain; undefined for room version 12 room IDs and hash event IDs. */
export function serverNameOf(id: UserId | RoomId | EventId | RoomAlias): ServerName | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : (id.slice(colon + 1) as ServerName);
}

export function localpartOf(id: UserId | RoomAlias): string {
  return id.slice(1, id.indexOf(':'));
}
