/** Every endpoint Lattice serves, grouped by spec area; each listener mounts those of its resources. */
import { getRegistrationNonce, registerWithSharedSecret } from './admin/register.ts';
import * as registrationTokens from './admin/registration-tokens.ts';
import * as eventReports from './admin/event-reports.ts';
import * as serverNotices from './admin/server-notices.ts';
import * as reportContent from './client/report-content.ts';
import * as accountData from './client/account-data.ts';
import * as accountDeactivation from './client/account-deactivation.ts';
import * as capabilities from './client/capabilities.ts';
import * as crossSigning from './client/cross-signing.ts';
import * as deviceManagement from './client/device-management.ts';
import * as filter from './client/filter.ts';
import * as keyBackup from './client/key-backup.ts';
import * as keys from './client/keys.ts';
import * as login from './client/login.ts';
import * as logout from './client/logout.ts';
import * as passwordManagement from './client/password-management.ts';
import * as profile from './client/profile.ts';
import * as pusher from './client/pusher.ts';
import * as notifications from './client/notifications.ts';
import * as pushrules from './client/pushrules.ts';
import * as refresh from './client/refresh.ts';
import * as registration from './client/registration.ts';
import * as syncEndpoint from './client/sync.ts';
import * as tags from './client/tags.ts';
import * as toDevice from './client/to-device.ts';
import * as versions from './client/versions.ts';
import * as voip from './client/voip.ts';
import * as openId from './client/openid.ts';
import * as users from './client/users.ts';
import * as whoami from './client/whoami.ts';
import * as typingEndpoint from './client/typing.ts';
import * as presenceEndpoint from './client/presence.ts';
import * as administrativeContact from './client/administrative-contact.ts';
import * as thirdPartyLookup from './client/third-party-lookup.ts';
import * as receipts from './client/receipts.ts';
import * as readMarkers from './client/read-markers.ts';
import * as banning from './client/banning.ts';
import * as createRoom from './client/create-room.ts';
import * as directory from './client/directory.ts';
import * as eventContext from './client/event-context.ts';
import * as inviting from './client/inviting.ts';
import * as joining from './client/joining.ts';
import * as kicking from './client/kicking.ts';
import * as knocking from './client/knocking.ts';
import * as leaving from './client/leaving.ts';
import * as listJoinedRooms from './client/list-joined-rooms.ts';
import * as listPublicRooms from './client/list-public-rooms.ts';
import * as messagePagination from './client/message-pagination.ts';
import * as redaction from './client/redaction.ts';
import * as roomSend from './client/room-send.ts';
import * as roomEventByTimestamp from './client/room-event-by-timestamp.ts';
import * as roomState from './client/room-state.ts';
import * as searchEndpoint from './client/search.ts';
import * as rooms from './client/rooms.ts';
import * as relations from './client/relations.ts';
import * as threadsList from './client/threads-list.ts';
import type { Endpoint } from './endpoint.ts';
import * as federationBackfill from './federation/backfill.ts';
import * as federationEventAuth from './federation/event-auth.ts';
import * as federationEvents from './federation/events.ts';
import * as federationOpenId from './federation/openid.ts';
import * as federationPublicRooms from './federation/public-rooms.ts';
import * as federationQuery from './federation/query.ts';
import * as federationInvites from './federation/invites.ts';
import * as federationJoins from './federation/joins.ts';
import * as federationSpaceHierarchy from './federation/space-hierarchy.ts';
import * as spaceHierarchy from './client/space-hierarchy.ts';
import * as roomUpgrades from './client/room-upgrades.ts';
import * as roomSummary from './client/room-summary.ts';
import * as federationKnocking from './federation/knocking.ts';
import * as federationLeaving from './federation/leaving.ts';
import * as federationTransactions from './federation/transactions.ts';
import * as federationUserDevices from './federation/user-devices.ts';
import * as federationUserKeys from './federation/user-keys.ts';
import * as federationVersion from './federation/version.ts';
import * as keyQuery from './keys/key-query.ts';
import * as serverKeys from './keys/server-keys.ts';
import * as metrics from './metrics.ts';
import * as authedContentRepo from './media/authed-content-repo.ts';
import * as contentRepo from './media/content-repo.ts';
import * as urlPreview from './media/url-preview.ts';
import * as federationMedia from './federation/media.ts';
import * as wellKnown from './well-known.ts';

/** Each module lists its endpoints as exports; every export of these modules is an endpoint. */
const modules: Array<Record<string, Endpoint<any, any, any>>> = [
  versions,
  wellKnown,
  registration,
  login,
  refresh,
  logout,
  whoami,
  passwordManagement,
  accountDeactivation,
  deviceManagement,
  capabilities,
  profile,
  filter,
  accountData,
  tags,
  pushrules,
  pusher,
  notifications,
  keys,
  crossSigning,
  keyBackup,
  toDevice,
  syncEndpoint,
  typingEndpoint,
  presenceEndpoint,
  administrativeContact,
  thirdPartyLookup,
  receipts,
  readMarkers,
  banning,
  createRoom,
  directory,
  eventContext,
  inviting,
  joining,
  kicking,
  knocking,
  leaving,
  listJoinedRooms,
  listPublicRooms,
  messagePagination,
  redaction,
  roomSend,
  roomState,
  roomEventByTimestamp,
  searchEndpoint,
  rooms,
  relations,
  threadsList,
  voip,
  users,
  { getRegistrationNonce, registerWithSharedSecret },
  registrationTokens,
  eventReports,
  serverNotices,
  reportContent,
  serverKeys,
  keyQuery,
  federationVersion,
  federationQuery,
  federationTransactions,
  federationEvents,
  federationEventAuth,
  federationBackfill,
  federationUserDevices,
  federationUserKeys,
  federationPublicRooms,
  federationOpenId,
  openId,
  federationJoins,
  federationSpaceHierarchy,
  roomUpgrades,
  roomSummary,
  spaceHierarchy,
  federationInvites,
  federationLeaving,
  federationKnocking,
  metrics,
  authedContentRepo,
  contentRepo,
  urlPreview,
  federationMedia,
];

export const endpoints: readonly Endpoint<any, any, any>[] = modules.flatMap((module) => Object.values(module));
