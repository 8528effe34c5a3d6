import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Push notifications": pushers on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'pushers.test', engine, config: { enable_registration: true } });
    const setPusher = (user: TestUser, body: object) => rawRequest(server().baseUrl, '/_matrix/client/v3/pushers/set', { method: 'POST', body, accessToken: user.accessToken });
    const pushers = async (user: TestUser) => (await rawRequest(server().baseUrl, '/_matrix/client/v3/pushers', { accessToken: user.accessToken })).json.pushers;
    const pusher = {
      kind: 'http',
      app_id: 'org.example.app',
      pushkey: 'device-token',
      app_display_name: 'Example',
      device_display_name: 'Phone',
      lang: 'en',
      data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    };
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });

    it('stores a pusher, lists it, updates it in place and deletes it with kind null', async function () {
      expect(await pushers(alice)).to.deep.equal([]);
      expect((await setPusher(alice, pusher)).status).to.equal(200);
      expect(await pushers(alice)).to.deep.equal([pusher]);
      await setPusher(alice, { ...pusher, device_display_name: 'New phone' });
      expect((await pushers(alice)).map((p: { device_display_name: string }) => p.device_display_name)).to.deep.equal(['New phone']);
      await setPusher(alice, { kind: null, app_id: pusher.app_id, pushkey: pusher.pushkey });
      expect(await pushers(alice)).to.deep.equal([]);
    });

    it('moves a pushkey to the latest user unless append is true', async function () {
      await setPusher(alice, pusher);
      await setPusher(bob, pusher);
      expect(await pushers(alice)).to.deep.equal([]);
      await setPusher(alice, { ...pusher, append: true });
      expect(await pushers(alice)).to.have.length(1);
      expect(await pushers(bob)).to.have.length(1);
    });

    it('refuses missing fields and gateway URLs without the notify path', async function () {
      const missing = await setPusher(alice, { kind: 'http', app_id: 'a', pushkey: 'k' });
      expect(missing.json.errcode).to.equal('M_MISSING_PARAM');
      const badUrl = await setPusher(alice, { ...pusher, data: { url: 'https://push.example.org/' } });
      expect(badUrl.json.errcode).to.equal('M_INVALID_PARAM');
      expect((await setPusher(alice, { ...pusher, kind: 'carrier-pigeon' })).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('a device\'s pushers go when it logs out (as Synapse does), other devices\' stay; deactivation removes them all', async function () {
      const carol = await registerUser(server(), 'carol');
      const phone = await loginUser(server(), carol, 'PHONE');
      const tablet = await loginUser(server(), carol, 'TABLET');
      await setPusher(phone, { ...pusher, pushkey: 'phone-token' });
      await setPusher(tablet, { ...pusher, pushkey: 'tablet-token' });
      expect((await pushers(carol)).map((p: { pushkey: string }) => p.pushkey).sort()).to.deep.equal(['phone-token', 'tablet-token']);
      expect((await rawRequest(server().baseUrl, '/_matrix/client/v3/logout', { method: 'POST', body: {}, accessToken: phone.accessToken })).status).to.equal(200);
      expect((await pushers(carol)).map((p: { pushkey: string }) => p.pushkey)).to.deep.equal(['tablet-token']);
      const deactivated = await rawRequest(server().baseUrl, '/_matrix/client/v3/account/deactivate', {
        method: 'POST',
        body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: carol.userId }, password: carol.password } },
        accessToken: tablet.accessToken,
      });
      expect(deactivated.status, deactivated.text).to.equal(200);
      const stored = await server().homeserver.storage.pushers.ofUser(carol.userId);
      expect(stored).to.deep.equal([]);
    });
  });
}
