/**
 * What differs between room versions, as data (rooms/v1.md … rooms/v12.md). Protocol code branches on
 * these named rules, never on version strings, so a new version is one new record in known-versions.ts.
 * Each rule names the room version page and section that introduces it.
 */
export type RoomVersionRules = {
  /** The version identifier, as it appears in `m.room.create` content and /capabilities. */
  id: string;
  /** rooms "Room version stability": every version we support is stable. */
  stable: true;

  // Identifiers.
  /** "Event IDs": v1–v2 `$opaque:domain` chosen by the sender; v3 reference hash in base64; v4+ URL-safe base64. */
  eventIdFormat: 'server-generated' | 'reference-hash-base64' | 'reference-hash-base64url';
  /** v12 "Event format": the room ID is the create event's reference hash (`!` + URL-safe base64); before, `!opaque:domain`. */
  roomIdFormat: 'server-generated' | 'create-event-reference-hash';

  // Event format and signing.
  /** v5 "Signing key validity period": a key's `valid_until_ts` must cover the event's `origin_server_ts`. */
  enforceKeyValidity: boolean;
  /** v6 "Canonical JSON": events must strictly follow canonical JSON (integers in the safe range, no floats). */
  strictCanonicalJson: boolean;
  /** v10 "Values in m.room.power_levels events must be integers": no stringy power levels. */
  integerPowerLevels: boolean;
  /** v11 "Moving the redacts property of m.room.redaction events to a content property". */
  redactsInContent: boolean;

  // Membership features.
  /** v7: the `knock` membership and join rule. */
  knocking: boolean;
  /** v8: the `restricted` join rule and `join_authorised_via_users_server`. */
  restrictedJoins: boolean;
  /** v10: the `knock_restricted` join rule. */
  knockRestricted: boolean;
  /** v11 "Remove the creator property of m.room.create events": the creator is the create event's sender. */
  creatorFromSender: boolean;
  /** v12: room creators (create sender + `additional_creators`) have infinite power level. */
  privilegedCreators: boolean;

  // Authorization rules ("Authorization rules" / "Authorisation rules" of each version page).
  /** rooms/v1 and v3 "Authorization rules" rule 4: `m.room.aliases` is allowed when the sender's domain is its state_key (v6 "Authorisation rules" removes it). */
  specialCaseAliasesAuth: boolean;
  /** rooms/v1 "Authorization rules" rule 11: redactions need the *redact level* or the redacted event's domain (v3 "Authorization rules" removes it; see v3 "Handling redactions"). */
  redactionAuthRule: boolean;
  /** rooms/v6 "Authorisation rules" rules 9.4 and 9.5: changes to `notifications` power levels are limited like `events`. */
  limitNotificationsPowerLevels: boolean;
  /** rooms/v1 "Authorization rules" rule 2.4 needs `m.room.create` among auth_events; v12 "Authorisation rules" rule 3.2: it MUST NOT be selected. */
  createInAuthEvents: boolean;

  /** Which state resolution algorithm: rooms/v1 "State resolution", v2 (rooms/v2), v2.1 (rooms/v12). */
  stateResolution: 'v1' | 'v2' | 'v2.1';

  // Redaction algorithm ("Redactions"); the base lists are in events/redact.ts.
  /** v1–v10: top-level `origin`, `membership` and `prev_state` survive redaction (v11 drops them). */
  redactionKeepsOriginMembershipPrevState: boolean;
  /** v1–v5: `m.room.aliases` keeps `aliases` (v6 "Redactions" removes it). */
  redactionKeepsAliases: boolean;
  /** v8 "Redactions": `m.room.join_rules` keeps `allow`. */
  redactionKeepsJoinRulesAllow: boolean;
  /** v9 "Redactions": `m.room.member` keeps `join_authorised_via_users_server`. */
  redactionKeepsJoinAuthorisedVia: boolean;
  /** v11 "Redactions": `m.room.member` keeps `third_party_invite.signed`. */
  redactionKeepsThirdPartyInviteSigned: boolean;
  /** v11 "Redactions": `m.room.create` keeps its whole content (before: only `creator`). */
  redactionKeepsAllCreateContent: boolean;
  /** v11 "Redactions": `m.room.power_levels` keeps `invite`. */
  redactionKeepsPowerLevelsInvite: boolean;
  /** v11 "Redactions": `m.room.redaction` keeps `redacts` in content. */
  redactionKeepsRedactsInContent: boolean;
};
