import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerUser, type TestUser } from '../harness/accounts.ts';
import { createTestClient } from '../harness/clients.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { rawRequest } from '../harness/requests.ts';

for (const engine of testEngines) {
  describe(`client-server-api "Push Rules: API" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'push.test', engine, config: { enable_registration: true } });
    let alice: TestUser;
    let bob: TestUser;
    before(async function () {
      alice = await registerUser(server(), 'alice');
      bob = await registerUser(server(), 'bob');
    });
    const rule = (kind: string, id: string, suffix = '') => `/_matrix/client/v3/pushrules/global/${kind}/${encodeURIComponent(id)}${suffix}`;
    const put = (user: TestUser, path: string, body: object) => rawRequest(server().baseUrl, path, { method: 'PUT', body, accessToken: user.accessToken });
    const ids = async (user: TestUser, kind: string) => ((await rawRequest(server().baseUrl, '/_matrix/client/v3/pushrules/', { accessToken: user.accessToken })).json.global[kind] as { rule_id: string }[]).map((r) => r.rule_id);

    it('serves the spec\'s default rules in order, with the user\'s ID filled in', async function () {
      const { json } = await rawRequest(server().baseUrl, '/_matrix/client/v3/pushrules/', { accessToken: alice.accessToken });
      const global = json.global as Record<string, { rule_id: string; conditions?: unknown[] }[]>;
      expect(global.override!.map((r) => r.rule_id)).to.deep.equal([
        '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention',
        '.m.rule.is_room_mention', '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
      ]);
      expect(global.underride!.map((r) => r.rule_id)).to.deep.equal(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
      const mention = global.override!.find((r) => r.rule_id === '.m.rule.is_user_mention')!;
      expect(mention.conditions).to.deep.equal([{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: alice.userId }]);
      expect(global.content).to.deep.equal([]);
    });

    it('reads as a ruleset matrix-js-sdk accepts', async function () {
      const client = await createTestClient(server(), { userId: alice.userId, accessToken: alice.accessToken });
      const { global } = await client.getPushRules();
      expect(global.override!.map((r) => r.rule_id)).to.include.members(['.m.rule.master', '.m.rule.invite_for_me', '.m.rule.is_user_mention']);
    });

    it('places user override rules after .m.rule.master and before the other defaults, honouring before/after', async function () {
      expect((await put(alice, rule('override', 'one'), { actions: ['notify'], conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.one' }] })).status).to.equal(200);
      await put(alice, rule('override', 'two'), { actions: [] });
      await put(alice, `${rule('override', 'three')}?after=two`, { actions: [] });
      await put(alice, `${rule('override', 'zero')}?before=one`, { actions: [] });
      expect((await ids(alice, 'override')).slice(0, 6)).to.deep.equal(['.m.rule.master', 'two', 'three', 'zero', 'one', '.m.rule.suppress_notices']);
      const one = await rawRequest(server().baseUrl, rule('override', 'one'), { accessToken: alice.accessToken });
      expect(one.json).to.deep.equal({ rule_id: 'one', default: false, enabled: true, actions: ['notify'], conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.one' }] });
    });

    it('updates a rule in place and deletes it', async function () {
      await put(alice, rule('override', 'one'), { actions: ['dont_notify'] });
      expect((await ids(alice, 'override')).slice(0, 5)).to.deep.equal(['.m.rule.master', 'two', 'three', 'zero', 'one']);
      expect((await rawRequest(server().baseUrl, rule('override', 'one', '/actions'), { accessToken: alice.accessToken })).json).to.deep.equal({ actions: ['dont_notify'] });
      expect((await rawRequest(server().baseUrl, rule('override', 'one'), { method: 'DELETE', accessToken: alice.accessToken })).status).to.equal(200);
      expect(await ids(alice, 'override')).not.to.include('one');
      expect((await rawRequest(server().baseUrl, rule('override', 'one'), { accessToken: alice.accessToken })).status).to.equal(404);
    });

    it('stores content, room and sender rules', async function () {
      await put(alice, rule('content', 'cake'), { actions: ['notify'], pattern: 'cake*lie' });
      await put(alice, rule('room', '!quiet:push.test'), { actions: [] });
      await put(alice, rule('sender', bob.userId), { actions: ['notify'] });
      const { json } = await rawRequest(server().baseUrl, '/_matrix/client/v3/pushrules/global/', { accessToken: alice.accessToken });
      expect(json.content).to.deep.equal([{ rule_id: 'cake', default: false, enabled: true, actions: ['notify'], pattern: 'cake*lie' }]);
      expect(json.room.map((r: { rule_id: string }) => r.rule_id)).to.deep.equal(['!quiet:push.test']);
      expect(json.sender.map((r: { rule_id: string }) => r.rule_id)).to.deep.equal([bob.userId]);
    });

    it('enables the master rule and changes a default rule\'s actions, for this user only', async function () {
      expect((await put(alice, rule('override', '.m.rule.master', '/enabled'), { enabled: true })).status).to.equal(200);
      expect((await rawRequest(server().baseUrl, rule('override', '.m.rule.master', '/enabled'), { accessToken: alice.accessToken })).json).to.deep.equal({ enabled: true });
      await put(alice, rule('underride', '.m.rule.message', '/actions'), { actions: ['dont_notify'] });
      const message = await rawRequest(server().baseUrl, rule('underride', '.m.rule.message'), { accessToken: alice.accessToken });
      expect(message.json).to.include({ default: true, enabled: true });
      expect(message.json.actions).to.deep.equal(['dont_notify']);
      expect((await rawRequest(server().baseUrl, rule('override', '.m.rule.master', '/enabled'), { accessToken: bob.accessToken })).json).to.deep.equal({ enabled: false });
    });

    it('refuses reserved or malformed rule IDs, unknown kinds, unknown anchors and content rules without a pattern', async function () {
      expect((await put(alice, rule('override', '.m.rule.mine'), { actions: [] })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await put(alice, rule('room', 'not-a-room'), { actions: [] })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await put(alice, rule('global', 'x'), { actions: [] })).json.errcode).to.equal('M_INVALID_PARAM');
      const anchor = await put(alice, `${rule('override', 'four')}?before=nope`, { actions: [] });
      expect(anchor.status).to.equal(400);
      expect(anchor.json).to.deep.equal({ errcode: 'M_UNKNOWN', error: 'before/after rule not found: nope' });
      expect((await put(alice, rule('content', 'nopattern'), { actions: [] })).json.errcode).to.equal('M_MISSING_PARAM');
      expect((await put(alice, rule('override', 'noactions'), {})).json.errcode).to.equal('M_BAD_JSON');
      expect((await rawRequest(server().baseUrl, rule('override', '.m.rule.nope', '/enabled'), { accessToken: alice.accessToken })).status).to.equal(404);
    });
  });
}
