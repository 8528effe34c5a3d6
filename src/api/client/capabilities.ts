/** client-server-api "GET /capabilities" (data/api/client-server/capabilities.yaml). */
import { supportedRoomVersions } from '../../core/room-versions/known-versions.ts';
import { defineEndpoint } from '../endpoint.ts';

export const getCapabilities = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/capabilities',
  resources: ['client'],
  auth: 'user',
  handle: (_request, deps) => ({
    capabilities: {
      'm.change_password': { enabled: true },
      'm.room_versions': { default: deps.defaultRoomVersion, available: Object.fromEntries(supportedRoomVersions.map((v) => [v, 'stable'])) },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.profile_fields': { enabled: true },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
    },
  }),
});
