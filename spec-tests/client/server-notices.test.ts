import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerAdmin, registerUser, type TestUser } from '../harness/accounts.ts';
import { eventually } from '../harness/federation.ts';
import { startTestHomeserver, useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest, type RawResponse } from '../harness/requests.ts';

const secret = 'server notices tests secret';
const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;

for (const engine of testEngines) {
  describe(`client-server-api "Server Notices" on ${engine}`, function () {
    const server = useTestHomeserver({
      serverName: 'notices.test',
      engine,
      config: {
        enable_registration: true,
        registration_shared_secret: secret,
        server_notices: { system_mxid_localpart: 'notices', system_mxid_display_name: 'Server Notices', room_name: 'Notices from the server' },
      },
    });
    const api = clientApi(server);
    const system = '@notices:notices.test';
    const notify = (as: TestUser, userId: string, content: object) => rawRequest(server().baseUrl, '/_synapse/admin/v1/send_server_notice', { body: { user_id: userId, content }, accessToken: as.accessToken });
    const sync = (user: TestUser, since?: string) => api(user, 'GET', `/sync?timeout=0${since ? `&since=${since}` : ''}`);
    const invitedRooms = (response: RawResponse): string[] => Object.keys(response.json.rooms?.invite ?? {});

    let root: TestUser;
    let alice: TestUser;
    let noticesRoom: string;
    before(async function () {
      root = await registerAdmin(server(), 'root', secret);
      alice = await registerUser(server(), 'alice');
    });

    it('a notice invites the user, from the system user, to a room they cannot reject, then shows in it tagged m.server_notice', async function () {
      const since = (await sync(alice)).json.next_batch;
      const sent = await notify(root, alice.userId, { msgtype: 'm.text', body: 'Welcome to the server' });
      expect(sent.status, sent.text).to.equal(200);
      expect(sent.json.event_id).to.match(/^\$/);

      const invited = await sync(alice, since);
      [noticesRoom] = invitedRooms(invited) as [string];
      expect(noticesRoom).to.be.a('string');
      const inviteState = invited.json.rooms.invite[noticesRoom].invite_state.events as Array<{ type: string; state_key: string; sender: string; content: Record<string, unknown> }>;
      expect(inviteState.find((e) => e.type === 'm.room.name')?.content.name).to.equal('Notices from the server');
      expect(inviteState.find((e) => e.type === 'm.room.member' && e.state_key === alice.userId)?.sender).to.equal(system);

      // "Client behaviour": rejecting the invite is refused.
      const rejected = await api(alice, 'POST', `${room(noticesRoom)}/leave`, {});
      expect([rejected.status, rejected.json.errcode]).to.deep.equal([403, 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM']);

      expect((await api(alice, 'POST', `${room(noticesRoom)}/join`, {})).status).to.equal(200);
      // The tag was set with the invite, so a full /sync carries it (as Synapse's does).
      const joined = (await sync(alice)).json.rooms.join[noticesRoom];
      const tag = joined.account_data.events.find((e: { type: string }) => e.type === 'm.tag');
      expect(tag.content.tags).to.have.property('m.server_notice');
      const full = (await api(alice, 'GET', `${room(noticesRoom)}/messages?dir=b&limit=50`)).json.chunk as Array<{ type: string; sender: string; event_id: string; content: { body?: string } }>;
      const notice = full.find((e) => e.type === 'm.room.message');
      expect(notice).to.deep.include({ sender: system, event_id: sent.json.event_id });
      expect(notice?.content.body).to.equal('Welcome to the server');
    });

    it('the user cannot write in the notices room (users_default -10, as Synapse sets it)', async function () {
      const response = await api(alice, 'PUT', `${room(noticesRoom)}/send/m.room.message/reply1`, { msgtype: 'm.text', body: 'thanks' });
      expect([response.status, response.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
    });

    it('"Server behaviour": the next notice goes to the same room; the m.server_notice msgtype carries its fields', async function () {
      const since = (await sync(alice)).json.next_batch;
      const content = { msgtype: 'm.server_notice', body: 'Your quota is exceeded', server_notice_type: 'm.server_notice.usage_limit_reached', limit_type: 'monthly_active_user', admin_contact: 'mailto:admin@notices.test' };
      const sent = await notify(root, alice.userId, content);
      expect(sent.status).to.equal(200);
      const joined = (await sync(alice, since)).json.rooms.join;
      expect(Object.keys(joined)).to.deep.equal([noticesRoom]);
      const event = joined[noticesRoom].timeline.events.find((e: { event_id: string }) => e.event_id === sent.json.event_id);
      expect(event.content).to.deep.equal(content);
      expect((await api(alice, 'GET', '/joined_rooms')).json.joined_rooms).to.deep.equal([noticesRoom]);
    });

    it('after the user left the room (which is allowed), the next notice comes in a new room', async function () {
      expect((await api(alice, 'POST', `${room(noticesRoom)}/leave`, {})).status).to.equal(200);
      const since = (await sync(alice)).json.next_batch;
      expect((await notify(root, alice.userId, { msgtype: 'm.text', body: 'Again' })).status).to.equal(200);
      const [newRoom] = invitedRooms(await sync(alice, since));
      expect(newRoom).to.be.a('string').and.not.equal(noticesRoom);
    });

    it('the system user has the configured profile, cannot log in and is not in the user directory', async function () {
      expect((await api(alice, 'GET', `/profile/${encodeURIComponent(system)}/displayname`)).json).to.deep.equal({ displayname: 'Server Notices' });
      const login = await rawRequest(server().baseUrl, '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'notices' }, password: '' } });
      expect([login.status, login.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      expect((await api(alice, 'POST', '/user_directory/search', { search_term: 'notices' })).json.results).to.deep.equal([]);
    });

    it('Synapse admin API "send_server_notice": admins only, to existing local users', async function () {
      const bob = await registerUser(server(), 'bob');
      const refused = await notify(bob, alice.userId, { msgtype: 'm.text', body: 'x' });
      expect([refused.status, refused.json.errcode]).to.deep.equal([403, 'M_FORBIDDEN']);
      expect((await notify(root, '@someone:elsewhere.test', { msgtype: 'm.text', body: 'x' })).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await notify(root, '@nobody:notices.test', { msgtype: 'm.text', body: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      expect((await notify(root, alice.userId, 'not an object' as unknown as object)).json.errcode).to.equal('M_BAD_JSON');
    });

    it('an upload past media_upload_quota is refused and the user gets one usage limit notice (limit_type storage), not one per retry', async function () {
      const quotaServer = await startTestHomeserver({
        engine,
        config: {
          enable_registration: true,
          media_upload_quota: 1000,
          admin_contact: 'mailto:admin@quota.test',
          server_notices: { system_mxid_localpart: 'notices', room_name: 'Notices' },
        },
      });
      try {
        const bob = await registerUser(quotaServer, 'bob');
        const upload = () => rawRequest(quotaServer.baseUrl, '/_matrix/media/v3/upload?filename=big.bin', { method: 'POST', body: Buffer.alloc(2000, 1), headers: { 'content-type': 'application/octet-stream' }, accessToken: bob.accessToken });
        expect([(await upload()).status, (await upload()).status]).to.deep.equal([403, 403]);
        const api2 = clientApi(() => quotaServer);
        const invited = await eventually(async () => {
          const rooms = (await api2(bob, 'GET', '/sync?timeout=0')).json.rooms?.invite ?? {};
          return Object.keys(rooms)[0];
        });
        expect((await api2(bob, 'POST', `${room(invited)}/join`, {})).status).to.equal(200);
        const chunk = (await api2(bob, 'GET', `${room(invited)}/messages?dir=b&limit=50`)).json.chunk as Array<{ type: string; content: Record<string, unknown> }>;
        const notices = chunk.filter((e) => e.type === 'm.room.message');
        expect(notices).to.have.length(1);
        expect(notices[0]!.content).to.include({ msgtype: 'm.server_notice', server_notice_type: 'm.server_notice.usage_limit_reached', limit_type: 'storage', admin_contact: 'mailto:admin@quota.test' });
      } finally {
        await quotaServer.stop();
      }
    });
  });

  describe(`client-server-api "Server Notices" when not configured on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'no-notices.test', engine, config: { enable_registration: true, registration_shared_secret: secret } });

    it('the admin API answers that server notices are off', async function () {
      const root = await registerAdmin(server(), 'root', secret);
      const response = await rawRequest(server().baseUrl, '/_synapse/admin/v1/send_server_notice', { body: { user_id: root.userId, content: { msgtype: 'm.text', body: 'x' } }, accessToken: root.accessToken });
      expect(response.status).to.equal(400);
      expect(response.json.error).to.include('not enabled');
    });
  });
}
