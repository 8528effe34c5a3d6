/**
 * The room versions Lattice supports (rooms "Room version stability"), each record built from the
 * previous one with only what its spec page changes. Anything else fails closed.
 */
import { MatrixError } from '../errors.ts';
import type { RoomVersionRules } from './room-version-rules.ts';

// rooms/v1: the initial room version.
const v1: RoomVersionRules = {
  id: '1',
  stable: true,
  eventIdFormat: 'server-generated',
  roomIdFormat: 'server-generated',
  enforceKeyValidity: false,
  strictCanonicalJson: false,
  integerPowerLevels: false,
  redactsInContent: false,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  creatorFromSender: false,
  privilegedCreators: false,
  stateResolution: 'v1',
  redactionKeepsOriginMembershipPrevState: true,
  redactionKeepsAliases: true,
  redactionKeepsJoinRulesAllow: false,
  redactionKeepsJoinAuthorisedVia: false,
  redactionKeepsThirdPartyInviteSigned: false,
  redactionKeepsAllCreateContent: false,
  redactionKeepsPowerLevelsInvite: false,
  redactionKeepsRedactsInContent: false,
  specialCaseAliasesAuth: true,
  redactionAuthRule: true,
  limitNotificationsPowerLevels: false,
  createInAuthEvents: true,
};

// rooms/v2: state resolution v2.
const v2: RoomVersionRules = { ...v1, id: '2', stateResolution: 'v2' };

// rooms/v3: event IDs are reference hashes; the auth rules no longer check redactions (v3 "Handling redactions").
const v3: RoomVersionRules = { ...v2, id: '3', eventIdFormat: 'reference-hash-base64', redactionAuthRule: false };

// rooms/v4: event IDs in URL-safe base64.
const v4: RoomVersionRules = { ...v3, id: '4', eventIdFormat: 'reference-hash-base64url' };

// rooms/v5: signing key validity is enforced.
const v5: RoomVersionRules = { ...v4, id: '5', enforceKeyValidity: true };

// rooms/v6: strict canonical JSON; m.room.aliases loses its redaction protection and its special auth
// rule; `notifications` power levels are checked like `events`.
const v6: RoomVersionRules = {
  ...v5,
  id: '6',
  strictCanonicalJson: true,
  redactionKeepsAliases: false,
  specialCaseAliasesAuth: false,
  limitNotificationsPowerLevels: true,
};

// rooms/v7: knocking.
const v7: RoomVersionRules = { ...v6, id: '7', knocking: true };

// rooms/v8: restricted joins; join rules keep `allow` on redaction.
const v8: RoomVersionRules = { ...v7, id: '8', restrictedJoins: true, redactionKeepsJoinRulesAllow: true };

// rooms/v9: member events keep `join_authorised_via_users_server` on redaction.
const v9: RoomVersionRules = { ...v8, id: '9', redactionKeepsJoinAuthorisedVia: true };

// rooms/v10: integer-only power levels; the knock_restricted join rule.
const v10: RoomVersionRules = { ...v9, id: '10', integerPowerLevels: true, knockRestricted: true };

// rooms/v11: the clarified redaction algorithm; no `creator`; `redacts` moves into content.
const v11: RoomVersionRules = {
  ...v10,
  id: '11',
  creatorFromSender: true,
  redactsInContent: true,
  redactionKeepsOriginMembershipPrevState: false,
  redactionKeepsThirdPartyInviteSigned: true,
  redactionKeepsAllCreateContent: true,
  redactionKeepsPowerLevelsInvite: true,
  redactionKeepsRedactsInContent: true,
};

// rooms/v12: room IDs are create event hashes (so the create event leaves auth_events); privileged
// creators; state resolution v2.1.
const v12: RoomVersionRules = {
  ...v11,
  id: '12',
  roomIdFormat: 'create-event-reference-hash',
  privilegedCreators: true,
  createInAuthEvents: false,
  stateResolution: 'v2.1',
};

const knownVersions: ReadonlyMap<string, Readonly<RoomVersionRules>> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((rules) => [rules.id, Object.freeze(rules)]),
);

/** rooms "Room version stability": servers SHOULD create rooms in version 12. */
export const defaultRoomVersion = '12';

/** The supported version identifiers, oldest first (for /capabilities). */
export const supportedRoomVersions: readonly string[] = [...knownVersions.keys()];

export function isSupportedRoomVersion(id: string): boolean {
  return knownVersions.has(id);
}

/** The rules of room version `id`; throws M_UNSUPPORTED_ROOM_VERSION for any version we do not know. */
export function getRoomVersion(id: string): Readonly<RoomVersionRules> {
  const rules = knownVersions.get(id);
  if (!rules) throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', `Room version ${JSON.stringify(id)} is not supported`);
  return rules;
}
