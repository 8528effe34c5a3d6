/** server-server-api "Device Management" (user_devices.yaml). */
import { defineEndpoint } from '../endpoint.ts';

export const getUserDevices = defineEndpoint({
  method: 'GET',
  path: '/_matrix/federation/v1/user/devices/:userId',
  resources: ['federation'],
  auth: 'server',
  handle: ({ params }, deps) => deps.userKeysForServers.devices(params.userId!),
});
