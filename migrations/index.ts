/**
 * The schema history, oldest first. Both engines run the same migrations; append only, never edit
 * a migration that has shipped.
 */
import type { Knex } from 'knex';
import * as localSigningKeys from './0001-local-signing-keys.ts';
import * as accounts from './0002-accounts.ts';
import * as profiles from './0003-profiles.ts';
import * as filters from './0004-filters.ts';
import * as accountData from './0005-account-data.ts';
import * as pushRules from './0006-push-rules.ts';
import * as e2eeKeys from './0007-e2ee-keys.ts';
import * as crossSigning from './0008-cross-signing.ts';
import * as keyBackup from './0009-key-backup.ts';
import * as toDevice from './0010-to-device.ts';
import * as rooms from './0011-rooms.ts';
import * as receipts from './0012-receipts.ts';
import * as refreshAndRegistrationTokens from './0013-refresh-and-registration-tokens.ts';
import * as pushers from './0014-pushers.ts';
import * as eventPushActions from './0016-event-push-actions.ts';
import * as presence from './0017-presence.ts';
import * as remoteServerKeys from './0018-remote-server-keys.ts';
import * as federationOutbox from './0019-federation-outbox.ts';
import * as openIdTokens from './0020-openid-tokens.ts';
import * as remoteInvites from './0021-remote-invites.ts';
import * as remoteKnocks from './0022-remote-knocks.ts';
import * as media from './0023-media.ts';
import * as eventRelations from './0024-event-relations.ts';
import * as eventSearch from './0025-event-search.ts';
import * as pusherDelivery from './0026-pusher-delivery.ts';
import * as reportsNoticesUserDirectory from './0027-reports-notices-user-directory.ts';
import * as federationEduOutbox from './0028-federation-edu-outbox.ts';
import * as remoteRoomMemberships from './0029-remote-room-memberships.ts';
import * as pusherDevices from './0030-pusher-devices.ts';
import * as dropEventEdgesAndAuth from './0031-drop-event-edges-and-auth.ts';
import * as dropEventsDepthIndex from './0032-drop-events-depth-index.ts';

export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

export const migrations: Migration[] = [
  { name: '0001-local-signing-keys', ...localSigningKeys },
  { name: '0002-accounts', ...accounts },
  { name: '0003-profiles', ...profiles },
  { name: '0004-filters', ...filters },
  { name: '0005-account-data', ...accountData },
  { name: '0006-push-rules', ...pushRules },
  { name: '0007-e2ee-keys', ...e2eeKeys },
  { name: '0008-cross-signing', ...crossSigning },
  { name: '0009-key-backup', ...keyBackup },
  { name: '0010-to-device', ...toDevice },
  { name: '0011-rooms', ...rooms },
  { name: '0012-receipts', ...receipts },
  { name: '0013-refresh-and-registration-tokens', ...refreshAndRegistrationTokens },
  { name: '0014-pushers', ...pushers },
  { name: '0016-event-push-actions', ...eventPushActions },
  { name: '0017-presence', ...presence },
  { name: '0018-remote-server-keys', ...remoteServerKeys },
  { name: '0019-federation-outbox', ...federationOutbox },
  { name: '0020-openid-tokens', ...openIdTokens },
  { name: '0021-remote-invites', ...remoteInvites },
  { name: '0022-remote-knocks', ...remoteKnocks },
  { name: '0023-media', ...media },
  { name: '0024-event-relations', ...eventRelations },
  { name: '0025-event-search', ...eventSearch },
  { name: '0026-pusher-delivery', ...pusherDelivery },
  { name: '0027-reports-notices-user-directory', ...reportsNoticesUserDirectory },
  { name: '0028-federation-edu-outbox', ...federationEduOutbox },
  { name: '0029-remote-room-memberships', ...remoteRoomMemberships },
  { name: '0030-pusher-devices', ...pusherDevices },
  { name: '0031-drop-event-edges-and-auth', ...dropEventEdgesAndAuth },
  { name: '0032-drop-events-depth-index', ...dropEventsDepthIndex },
];
