/** client-server-api "Device management" (data/api/client-server/device_management.yaml). */
import { z } from 'zod';
import type { Device } from '../../services/accounts/accounts.ts';
import { defineEndpoint } from '../endpoint.ts';
import { requirePassword } from '../uia.ts';

const uiaBody = { auth: z.record(z.string(), z.unknown()).optional() };

function clientDevice(device: Device) {
  return {
    device_id: device.deviceId,
    display_name: device.displayName ?? undefined,
    last_seen_ip: device.lastSeenIp ?? undefined,
    last_seen_ts: device.lastSeenTs ?? undefined,
  };
}

export const getDevices = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/devices',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester }, deps) => ({ devices: (await deps.accounts.devices(requester.userId)).map(clientDevice) }),
});

export const getDevice = defineEndpoint({
  method: 'GET',
  path: '/_matrix/client/v3/devices/:deviceId',
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => clientDevice(await deps.accounts.device(requester.userId, params.deviceId!)),
});

export const updateDevice = defineEndpoint({
  method: 'PUT',
  path: '/_matrix/client/v3/devices/:deviceId',
  resources: ['client'],
  auth: 'user',
  body: z.object({ display_name: z.string().max(255).optional() }),
  handle: async ({ requester, params, body }, deps) => {
    await deps.accounts.renameDevice(requester.userId, params.deviceId!, body.display_name ?? null);
    return {};
  },
});

export const deleteDevice = defineEndpoint({
  method: 'DELETE',
  path: '/_matrix/client/v3/devices/:deviceId',
  resources: ['client'],
  auth: 'user',
  body: z.object(uiaBody),
  handle: async ({ requester, params, body }, deps) => {
    await deps.accounts.device(requester.userId, params.deviceId!);
    await requirePassword(deps, requester, `DELETE /devices/${params.deviceId}`, body);
    await deps.accounts.deleteDevices(requester.userId, [params.deviceId!]);
    return {};
  },
});

export const deleteDevices = defineEndpoint({
  method: 'POST',
  path: '/_matrix/client/v3/delete_devices',
  resources: ['client'],
  auth: 'user',
  body: z.object({ ...uiaBody, devices: z.array(z.string()) }),
  handle: async ({ requester, body }, deps) => {
    await requirePassword(deps, requester, 'POST /delete_devices', body);
    await deps.accounts.deleteDevices(requester.userId, body.devices);
    return {};
  },
});

