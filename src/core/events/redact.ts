/**
 * The redaction algorithm (rooms/v1 "Redactions" … rooms/v11 "Redactions"; v12 unchanged): strip an
 * event to the keys the protocol needs, so it stays verifiable (signatures cover the redacted form) and
 * keeps its effect on room state. Used for redacted events and for every reference hash and signature.
 */
import { isJsonObject, type JsonObject } from '../canonical-json.ts';
import type { RoomVersionRules } from '../room-versions/room-version-rules.ts';

// The top-level keys every version keeps.
const keptTopLevelKeys = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'auth_events', 'origin_server_ts',
] as const;
// v1–v10 also keep these; rooms/v11 "Redactions" stops protecting them.
const legacyTopLevelKeys = ['origin', 'membership', 'prev_state'] as const;

const powerLevelsKeys = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

/**
 * The redacted copy of `pdu`: only the protected top-level keys, and only the protected content keys
 * for its type. `unsigned` is not protected, so it is dropped; whoever serves the event adds its own
 * (e.g. `redacted_because`). Kept values are shared with `pdu`, not copied: treat both as immutable.
 */
export function redactEvent(pdu: JsonObject, rules: RoomVersionRules): JsonObject {
  const topLevelKeys = rules.redactionKeepsOriginMembershipPrevState ? [...keptTopLevelKeys, ...legacyTopLevelKeys] : keptTopLevelKeys;
  const redacted = pick(pdu, topLevelKeys);
  // Every event keeps a content object, stripped to what its type protects.
  redacted.content = redactContent(pdu.type, isJsonObject(pdu.content) ? pdu.content : {}, rules);
  return redacted;
}

function redactContent(type: unknown, content: JsonObject, rules: RoomVersionRules): JsonObject {
  switch (type) {
    case 'm.room.member':
      return redactMemberContent(content, rules);
    case 'm.room.create':
      return rules.redactionKeepsAllCreateContent ? { ...content } : pick(content, ['creator']);
    case 'm.room.join_rules':
      return pick(content, rules.redactionKeepsJoinRulesAllow ? ['join_rule', 'allow'] : ['join_rule']);
    case 'm.room.power_levels':
      return pick(content, rules.redactionKeepsPowerLevelsInvite ? [...powerLevelsKeys, 'invite'] : powerLevelsKeys);
    case 'm.room.history_visibility':
      return pick(content, ['history_visibility']);
    case 'm.room.aliases':
      return rules.redactionKeepsAliases ? pick(content, ['aliases']) : {};
    case 'm.room.redaction':
      return rules.redactionKeepsRedactsInContent ? pick(content, ['redacts']) : {};
    default:
      return {};
  }
}

function redactMemberContent(content: JsonObject, rules: RoomVersionRules): JsonObject {
  const redacted = pick(content, rules.redactionKeepsJoinAuthorisedVia ? ['membership', 'join_authorised_via_users_server'] : ['membership']);
  // rooms/v11 "Event format": `third_party_invite` "will only contain the `signed` key after redaction".
  // An object without `signed` stays as `{}`, as Synapse keeps it; a non-object is dropped.
  if (rules.redactionKeepsThirdPartyInviteSigned && isJsonObject(content.third_party_invite)) {
    redacted.third_party_invite = pick(content.third_party_invite, ['signed']);
  }
  return redacted;
}

/** The own properties of `object` named in `keys`, skipping absent ones. */
function pick(object: JsonObject, keys: readonly string[]): JsonObject {
  const picked: JsonObject = {};
  for (const key of keys) {
    if (Object.hasOwn(object, key)) picked[key] = object[key];
  }
  return picked;
}
