import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Device management" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'devices.test', engine, config: { enable_registration: true } });
    let alice: TestUser;
    let laptop: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      laptop = await loginUser(server(), alice, 'LAPTOP');
    });

    it('lists the devices with last-seen details through matrix-js-sdk', async function () {
      const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
      const { devices } = await client.getDevices();
      expect(devices.map((d) => d.device_id).sort()).to.deep.equal([alice.deviceId, 'LAPTOP'].sort());
      const own = devices.find((d) => d.device_id === alice.deviceId)!;
      expect(own.last_seen_ip).to.equal('127.0.0.1');
      expect(own.last_seen_ts).to.be.within(Date.now() - 60_000, Date.now());
    });

    it('renames a device and reads it back', async function () {
      const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
      await client.setDeviceDetails('LAPTOP', { display_name: 'Work laptop' });
      expect((await client.getDevice('LAPTOP')).display_name).to.equal('Work laptop');
    });

    it('answers an unknown device with 404 M_NOT_FOUND', async function () {
      for (const method of ['GET', 'PUT'] as const) {
        const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/devices/NOPE', { method, body: method === 'PUT' ? {} : undefined, accessToken: alice.accessToken });
        expect(response.status, method).to.equal(404);
        expect(response.json.errcode).to.equal('M_NOT_FOUND');
      }
    });

    it('does not show or touch another user\'s devices', async function () {
      const bob = await registerUser(server(), 'bob');
      const response = await rawRequest(server().baseUrl, `/_matrix/client/v3/devices/${alice.deviceId}`, { accessToken: bob.accessToken });
      expect(response.status).to.equal(404);
    });

    it('deletes a device only after the password stage, which logs that device out', async function () {
      const path = '/_matrix/client/v3/devices/LAPTOP';
      const first = await rawRequest(server().baseUrl, path, { method: 'DELETE', body: {}, accessToken: alice.accessToken });
      expect(first.status).to.equal(401);
      expect(first.json.flows).to.deep.equal([{ stages: ['m.login.password'] }]);
      const wrong = await rawRequest(server().baseUrl, path, {
        method: 'DELETE',
        body: { auth: { type: 'm.login.password', session: first.json.session, identifier: { type: 'm.id.user', user: alice.userId }, password: 'wrong' } },
        accessToken: alice.accessToken,
      });
      expect(wrong.status).to.equal(401);
      expect(wrong.json.errcode).to.equal('M_FORBIDDEN');
      const right = await rawRequest(server().baseUrl, path, {
        method: 'DELETE',
        body: { auth: { type: 'm.login.password', session: first.json.session, identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password } },
        accessToken: alice.accessToken,
      });
      expect(right.status).to.equal(200);
      expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/account/whoami', { accessToken: laptop.accessToken })).status).to.equal(401);
    });

    it('refuses another user\'s password in the password stage', async function () {
      const carol = await registerUser(server(), 'carol');
      const phone = await loginUser(server(), alice, 'PHONE');
      const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/delete_devices', {
        body: { devices: ['PHONE'], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: carol.password } },
        accessToken: alice.accessToken,
      });
      expect(response.status).to.equal(401);
      expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/account/whoami', { accessToken: phone.accessToken })).status).to.equal(200);
    });

    it('deletes several devices with POST /delete_devices', async function () {
      const one = await loginUser(server(), alice, 'ONE');
      const two = await loginUser(server(), alice, 'TWO');
      const response = await rawRequest(server().baseUrl, '/_matrix/client/v3/delete_devices', {
        body: { devices: ['ONE', 'TWO', 'UNKNOWN'], auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: alice.password } },
        accessToken: alice.accessToken,
      });
      expect(response.status).to.equal(200);
      for (const user of [one, two]) expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/account/whoami', { accessToken: user.accessToken })).status).to.equal(401);
    });
  });
}
