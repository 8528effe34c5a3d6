/** Test accounts on a test server: registered through the real API, returned with their tokens. */
import { createHmac } from 'node:crypto';
import type { TestHomeserver } from './homeserver.ts';
import { rawRequest } from './requests.ts';

export interface TestUser {
  userId: string;
  deviceId: string;
  accessToken: string;
  password: string;
}

let counter = 0;

/** Registers a user (the server must have enable_registration: true). */
export async function registerUser(server: TestHomeserver, localpart = `user${++counter}`, password = `pw-${localpart}-secret`): Promise<TestUser> {
  const response = await rawRequest(server.baseUrl, '/_matrix/client/v3/register', { body: { username: localpart, password, auth: { type: 'm.login.dummy' } } });
  if (response.status !== 200) throw new Error(`registering ${localpart} failed: ${response.status} ${response.text}`);
  return { userId: response.json.user_id, deviceId: response.json.device_id, accessToken: response.json.access_token, password };
}

/** Logs an existing user in on a new device. */
export async function loginUser(server: TestHomeserver, user: Pick<TestUser, 'userId' | 'password'>, deviceId?: string): Promise<TestUser> {
  const response = await rawRequest(server.baseUrl, '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, device_id: deviceId },
  });
  if (response.status !== 200) throw new Error(`login of ${user.userId} failed: ${response.status} ${response.text}`);
  return { userId: user.userId, deviceId: response.json.device_id, accessToken: response.json.access_token, password: user.password };
}

/** Registers a server admin through Synapse's shared-secret API (the server's registration_shared_secret is `secret`). */
export async function registerAdmin(server: TestHomeserver, localpart: string, secret: string): Promise<TestUser> {
  const password = `pw-${localpart}-secret`;
  const { json } = await rawRequest(server.baseUrl, '/_synapse/admin/v1/register');
  const mac = createHmac('sha1', secret).update([json.nonce, localpart, password, 'admin'].join('\0')).digest('hex');
  const response = await rawRequest(server.baseUrl, '/_synapse/admin/v1/register', { body: { nonce: json.nonce, username: localpart, password, admin: true, mac } });
  if (response.status !== 200) throw new Error(`registering admin ${localpart} failed: ${response.status} ${response.text}`);
  return { userId: response.json.user_id, deviceId: response.json.device_id, accessToken: response.json.access_token, password };
}
