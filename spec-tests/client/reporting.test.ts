import { expect } from 'chai';
import { testEngines } from '../../src/testing/test-databases.ts';
import { registerAdmin, registerUser, type TestUser } from '../harness/accounts.ts';
import { useTestHomeserver } from '../harness/homeserver.ts';
import { clientApi, rawRequest } from '../harness/requests.ts';

const secret = 'reporting tests secret';
const noLimit = { per_second: 1_000_000, burst_count: 1_000_000 };
const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`;

for (const engine of testEngines) {
  describe(`client-server-api "Reporting Content" on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'reports.test', engine, config: { enable_registration: true, registration_shared_secret: secret, rc_reports: noLimit } });
    const api = clientApi(server);
    const admin = (user: TestUser, path: string) => rawRequest(server().baseUrl, `/_synapse/admin/v1/event_reports${path}`, { accessToken: user.accessToken });
    const send = async (user: TestUser, roomId: string, body: string) => (await api(user, 'PUT', `${room(roomId)}/send/m.room.message/${body}`, { msgtype: 'm.text', body })).json.event_id as string;
    const reportEvent = (user: TestUser, roomId: string, eventId: string, body: object) => api(user, 'POST', `${room(roomId)}/report/${encodeURIComponent(eventId)}`, body);
    const stored = (kind: 'room' | 'user') => server().homeserver.storage.reports.list({ kind, from: 0, limit: 100, dir: 'f' });

    let root: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let roomId: string;
    let message: string;
    before(async function () {
      root = await registerAdmin(server(), 'root', secret);
      [alice, bob, carol] = [await registerUser(server(), 'alice'), await registerUser(server(), 'bob'), await registerUser(server(), 'carol')];
      roomId = (await api(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'Reported Room', room_alias_name: 'reported' })).json.room_id;
      await api(bob, 'POST', `${room(roomId)}/join`, {});
      message = await send(alice, roomId, 'offensive');
    });

    it('"POST /rooms/{roomId}/report/{eventId}": a member reports an event; the admin API lists it as Synapse does', async function () {
      const response = await reportEvent(bob, roomId, message, { reason: 'this makes me sad', score: -50 });
      expect(response.status, response.text).to.equal(200);
      expect(response.json).to.deep.equal({});
      const listed = await admin(root, '');
      expect(listed.status).to.equal(200);
      expect(listed.json.total).to.equal(1);
      expect(listed.json).to.not.have.property('next_token');
      const [report] = listed.json.event_reports;
      expect(report).to.deep.include({
        room_id: roomId,
        event_id: message,
        user_id: bob.userId,
        sender: alice.userId,
        reason: 'this makes me sad',
        score: -50,
        name: 'Reported Room',
        canonical_alias: '#reported:reports.test',
      });
      expect(report.received_ts).to.be.a('number');
      const single = await admin(root, `/${report.id}`);
      expect(single.json).to.deep.include({ id: report.id, event_id: message });
      expect(single.json.event_json).to.deep.include({ room_id: roomId, sender: alice.userId, type: 'm.room.message', content: { msgtype: 'm.text', body: 'offensive' } });
      // Without a reason or score (both optional for event reports).
      expect((await reportEvent(bob, roomId, message, {})).status).to.equal(200);
    });

    it('"Reporting Content": event reports need the reporter joined and able to see the event, else 404 M_NOT_FOUND', async function () {
      // carol is not in the room; an unknown event; an event of another room.
      expect((await reportEvent(carol, roomId, message, { reason: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      expect((await reportEvent(bob, roomId, '$unknown', { reason: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      const other = (await api(alice, 'POST', '/createRoom', { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] })).json.room_id;
      const elsewhere = await send(alice, other, 'elsewhere');
      expect((await reportEvent(bob, roomId, elsewhere, { reason: 'x' })).status).to.equal(404);
      // bob joins after the event was sent, with history visible from joining only: he cannot see it.
      await api(alice, 'POST', `${room(other)}/invite`, { user_id: bob.userId });
      await api(bob, 'POST', `${room(other)}/join`, {});
      expect((await reportEvent(bob, other, elsewhere, { reason: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      expect((await reportEvent(bob, other, await send(alice, other, 'seen'), { reason: 'x' })).status).to.equal(200);
      // Once he left, he may no longer report events there.
      const later = await send(alice, other, 'later');
      await api(bob, 'POST', `${room(other)}/leave`, {});
      expect((await reportEvent(bob, other, later, { reason: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      // An unknown room; a score out of range.
      expect((await reportEvent(bob, '!nowhere:reports.test', message, {})).json.errcode).to.equal('M_NOT_FOUND');
      const badScore = await reportEvent(bob, roomId, message, { score: 10 });
      expect([badScore.status, badScore.json.errcode]).to.deep.equal([400, 'M_BAD_JSON']);
    });

    it('"POST /rooms/{roomId}/report" (v1.13): anyone may report a known room, joined or not; an unknown room is 404', async function () {
      const response = await api(carol, 'POST', `${room(roomId)}/report`, { reason: 'spam room' });
      expect(response.status, response.text).to.equal(200);
      expect((await stored('room')).reports.map((r) => [r.reporter, r.roomId, r.reason])).to.deep.equal([[carol.userId, roomId, 'spam room']]);
      expect((await api(carol, 'POST', `${room('!nowhere:reports.test')}/report`, { reason: 'x' })).json.errcode).to.equal('M_NOT_FOUND');
      const noReason = await api(carol, 'POST', `${room(roomId)}/report`, {});
      expect([noReason.status, noReason.json.errcode]).to.deep.equal([400, 'M_BAD_JSON']);
    });

    it('"POST /users/{userId}/report" (v1.14): anyone may report a user; an unknown local user is not revealed', async function () {
      const user = (userId: string) => `/users/${encodeURIComponent(userId)}/report`;
      expect((await api(carol, 'POST', user(alice.userId), { reason: 'harassment' })).status).to.equal(200);
      expect((await api(carol, 'POST', user('@remote:elsewhere.test'), { reason: '' })).status).to.equal(200);
      // The same answer as for a real user, but nothing to store.
      expect((await api(carol, 'POST', user('@nobody:reports.test'), { reason: 'x' })).status).to.equal(200);
      expect((await stored('user')).reports.map((r) => [r.reporter, r.targetUserId, r.reason])).to.deep.equal([
        [carol.userId, alice.userId, 'harassment'],
        [carol.userId, '@remote:elsewhere.test', ''],
      ]);
      expect((await api(carol, 'POST', user('not-a-user'), { reason: 'x' })).json.errcode).to.equal('M_INVALID_PARAM');
    });

    it('Synapse admin API "event_reports": admins only, paginated with from/limit/dir, filtered by user_id and room_id', async function () {
      expect((await admin(bob, '')).json.errcode).to.equal('M_FORBIDDEN');
      expect((await admin(bob, '/1')).status).to.equal(403);
      const all = (await admin(root, '?limit=100')).json;
      expect(all.total).to.equal(all.event_reports.length).and.to.be.at.least(3);
      const newestFirst = all.event_reports.map((r: { id: number }) => r.id);
      const page = (await admin(root, '?limit=2')).json;
      expect(page.event_reports.map((r: { id: number }) => r.id)).to.deep.equal(newestFirst.slice(0, 2));
      expect(page.next_token).to.equal(2);
      const rest = (await admin(root, `?from=${page.next_token}&limit=100`)).json;
      expect(rest.event_reports.map((r: { id: number }) => r.id)).to.deep.equal(newestFirst.slice(2));
      expect(rest).to.not.have.property('next_token');
      expect((await admin(root, '?dir=f')).json.event_reports.map((r: { id: number }) => r.id)).to.deep.equal([...newestFirst].reverse());
      const inRoom = (await admin(root, `?room_id=${encodeURIComponent(roomId)}&user_id=${encodeURIComponent(bob.userId)}`)).json;
      expect(inRoom.total).to.equal(2);
      expect((await admin(root, `?user_id=${encodeURIComponent(carol.userId)}`)).json).to.deep.include({ event_reports: [], total: 0 });
      expect((await admin(root, '/999999')).json.errcode).to.equal('M_NOT_FOUND');
      expect((await admin(root, '/abc')).json.errcode).to.equal('M_INVALID_PARAM');
      expect((await admin(root, '?limit=0')).json.errcode).to.equal('M_INVALID_PARAM');
    });
  });

  describe(`client-server-api "Reporting Content" rate limits on ${engine}`, function () {
    const server = useTestHomeserver({ serverName: 'report-limits.test', engine, config: { enable_registration: true, rc_reports: { per_second: 0.01, burst_count: 2 } } });
    const api = clientApi(server);

    it('reports count against rc_reports: past the burst, 429 M_LIMIT_EXCEEDED with retry_after_ms', async function () {
      const [dave, erin] = [await registerUser(server(), 'dave'), await registerUser(server(), 'erin')];
      const report = (user: TestUser) => api(user, 'POST', `/users/${encodeURIComponent('@someone:elsewhere.test')}/report`, { reason: 'x' });
      expect((await report(dave)).status).to.equal(200);
      expect((await report(dave)).status).to.equal(200);
      const limited = await report(dave);
      expect([limited.status, limited.json.errcode]).to.deep.equal([429, 'M_LIMIT_EXCEEDED']);
      expect(limited.json.retry_after_ms).to.be.above(0);
      // Per user: erin has her own allowance.
      expect((await report(erin)).status).to.equal(200);
    });
  });
}
