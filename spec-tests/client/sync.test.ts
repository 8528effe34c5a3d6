import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { loginUser, registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Syncing" (account data, to-device, device lists) on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'sync.test', engine, config: { enable_registration: true } });
    const syncOf = (user: TestUser, params: Record<string, string> = {}) =>
      rawRequest(server().baseUrl, `/_matrix/client/v3/sync?${new URLSearchParams(params)}`, { accessToken: user.accessToken });
    const setAccountData = (user: TestUser, type: string, content: object) =>
      rawRequest(server().baseUrl, `/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/account_data/${type}`, { method: 'PUT', body: content, accessToken: user.accessToken });
    const sendToDevice = (user: TestUser, txnId: string, messages: object) =>
      rawRequest(server().baseUrl, `/_matrix/client/v3/sendToDevice/org.example.ping/${txnId}`, { method: 'PUT', body: { messages }, accessToken: user.accessToken });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });

    it('initial sync carries the push rules, key counts and a next_batch token', async function () {
      const response = await syncOf(alice);
      expect(response.status).to.equal(200);
      expect(response.json.next_batch).to.be.a('string');
      const pushRules = response.json.account_data.events.find((e: { type: string }) => e.type === 'm.push_rules');
      expect(pushRules.content.global.override[0].rule_id).to.equal('.m.rule.master');
      expect(response.json.device_one_time_keys_count).to.deep.equal({});
      expect(response.json.device_unused_fallback_key_types).to.deep.equal([]);
    });

    it('incremental sync reports only what changed since the token', async function () {
      const first = await syncOf(alice);
      await setAccountData(alice, 'org.example.a', { n: 1 });
      const second = await syncOf(alice, { since: first.json.next_batch });
      expect(second.json.account_data.events).to.deep.equal([{ type: 'org.example.a', content: { n: 1 } }]);
      const third = await syncOf(alice, { since: second.json.next_batch });
      expect(third.json.account_data).to.equal(undefined);
    });

    it('wakes a long poll as soon as something arrives, without waiting for the timeout', async function () {
      const { json } = await syncOf(alice);
      const started = Date.now();
      const polling = syncOf(alice, { since: json.next_batch, timeout: '20000' });
      setTimeout(() => void setAccountData(alice, 'org.example.wake', { now: true }), 150);
      const response = await polling;
      expect(Date.now() - started).to.be.below(5000);
      expect(response.json.account_data.events).to.deep.equal([{ type: 'org.example.wake', content: { now: true } }]);
    });

    it('is not woken by other users\' changes, and returns empty after the timeout', async function () {
      const { json } = await syncOf(alice);
      const started = Date.now();
      const polling = syncOf(alice, { since: json.next_batch, timeout: '600' });
      setTimeout(() => void setAccountData(bob, 'org.example.bob', {}), 50);
      const response = await polling;
      expect(Date.now() - started).to.be.at.least(550);
      expect(response.json.account_data).to.equal(undefined);
    });

    it('delivers a to-device message once, to the addressed device, and drops it after acknowledgement', async function () {
      const bobLaptop = await loginUser(server(), bob, 'LAPTOP');
      const start = (await syncOf(bob)).json.next_batch;
      const startLaptop = (await syncOf(bobLaptop)).json.next_batch;
      expect((await sendToDevice(alice, 'txn1', { [bob.userId]: { [bob.deviceId]: { hello: 'phone' } } })).status).to.equal(200);
      expect((await sendToDevice(alice, 'txn1', { [bob.userId]: { [bob.deviceId]: { hello: 'phone' } } })).status).to.equal(200);
      const received = await syncOf(bob, { since: start });
      expect(received.json.to_device.events).to.deep.equal([{ sender: alice.userId, type: 'org.example.ping', content: { hello: 'phone' } }]);
      expect((await syncOf(bobLaptop, { since: startLaptop })).json.to_device).to.equal(undefined);
      // The same since token again still gets it (not yet acknowledged); a later token does not.
      expect((await syncOf(bob, { since: start })).json.to_device.events).to.have.length(1);
      expect((await syncOf(bob, { since: received.json.next_batch })).json.to_device).to.equal(undefined);
    });

    it('addresses every device with "*", a named device winning over "*"', async function () {
      const carol = await registerUser(server(), 'carol');
      const carolTablet = await loginUser(server(), carol, 'TABLET');
      const tokens = [(await syncOf(carol)).json.next_batch, (await syncOf(carolTablet)).json.next_batch];
      await sendToDevice(alice, 'txn-all', { [carol.userId]: { '*': { to: 'all' }, TABLET: { to: 'tablet' } } });
      expect((await syncOf(carol, { since: tokens[0] })).json.to_device.events[0].content).to.deep.equal({ to: 'all' });
      expect((await syncOf(carolTablet, { since: tokens[1] })).json.to_device.events[0].content).to.deep.equal({ to: 'tablet' });
    });

    it('reports the user\'s own device key changes in device_lists.changed and key counts', async function () {
      const { json } = await syncOf(alice);
      await rawRequest(server().baseUrl, '/_matrix/client/v3/keys/upload', {
        body: {
          device_keys: { user_id: alice.userId, device_id: alice.deviceId, algorithms: ['m.megolm.v1.aes-sha2'], keys: { [`ed25519:${alice.deviceId}`]: 'k' }, signatures: {} },
          one_time_keys: { 'signed_curve25519:A': { key: 'a', signatures: {} } },
          fallback_keys: { 'signed_curve25519:F': { key: 'f', fallback: true, signatures: {} } },
        },
        accessToken: alice.accessToken,
      });
      const response = await syncOf(alice, { since: json.next_batch });
      expect(response.json.device_lists).to.deep.equal({ changed: [alice.userId], left: [] });
      expect(response.json.device_one_time_keys_count).to.deep.equal({ signed_curve25519: 1 });
      expect(response.json.device_unused_fallback_key_types).to.deep.equal(['signed_curve25519']);
    });

    it('applies the account_data part of an inline or stored filter', async function () {
      await setAccountData(alice, 'org.example.keep', { k: 1 });
      const inline = await syncOf(alice, { filter: JSON.stringify({ account_data: { types: ['org.example.keep'] } }) });
      expect(inline.json.account_data.events.map((e: { type: string }) => e.type)).to.deep.equal(['org.example.keep']);
      const stored = await rawRequest(server().baseUrl, `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/filter`, { body: { account_data: { not_types: ['*'] } }, accessToken: alice.accessToken });
      expect((await syncOf(alice, { filter: stored.json.filter_id })).json.account_data).to.equal(undefined);
    });

    it('refuses malformed parameters', async function () {
      expect((await syncOf(alice, { since: 'garbage' })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await syncOf(alice, { timeout: '-5' })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await syncOf(alice, { filter: '{nope' })).json.errcode).to.equal('M_NOT_JSON');
      expect((await syncOf(alice, { filter: '12345' })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await syncOf(alice, { set_presence: 'busy' })).json.errcode).to.equal('M_INVALID_PARAM');
    });
  });
}
