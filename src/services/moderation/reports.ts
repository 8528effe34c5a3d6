/**
 * Reporting content (client-server-api "Reporting Content"): users report events, rooms and users to
 * the server's administrators, who read the event reports through Synapse's admin API.
 *
 * Who may report what, as the spec's "Server behaviour" says: an event only by a user currently joined
 * to its room (v1.8) who can see the event; a room and a user by anyone, joined or not (v1.13, v1.14).
 * An unknown event or room is 404 M_NOT_FOUND, as the endpoints specify; a report of a local user who
 * does not exist is answered as if it were stored ("MAY return 200 responses regardless"), so reports
 * cannot be used to probe for accounts.
 */
import { MatrixError } from '../../core/errors.ts';
import { parseUserId, serverNameOf, type RoomId } from '../../core/ids/identifiers.ts';
import type { ReportKind, ReportRecord } from '../../storage/repositories/reports.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { EventStore } from '../rooms/event-store.ts';
import type { RoomReads } from '../rooms/room-reads.ts';
import type { RoomStates } from '../rooms/room-states.ts';

/** One event report as Synapse's admin API shows it (GET /_synapse/admin/v1/event_reports). */
export interface EventReportView {
  id: number;
  received_ts: number;
  room_id: string;
  name: string | null;
  canonical_alias: string | null;
  event_id: string;
  user_id: string;
  sender: string | null;
  reason: string | null;
  score: number | null;
}

export interface EventReportQuery {
  from: number;
  limit: number;
  dir: 'b' | 'f';
  userId?: string;
  roomId?: string;
}

export class Reports {
  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly roomReads: RoomReads,
    private readonly serverName: string,
    private readonly clock: () => number,
  ) {}

  /** POST /rooms/{roomId}/report/{eventId}. */
  async reportEvent(requester: Requester, roomId: RoomId, eventId: string, reason: string | undefined, score: number | undefined): Promise<void> {
    const notFound = new MatrixError('M_NOT_FOUND', 'The event was not found or you are not joined to the room.');
    if (!(await this.storage.roomEvents.room(roomId)) || (await this.roomStates.membership(roomId, requester.userId)) !== 'join') throw notFound;
    // Only an event the reporter can see (history visibility), as GET /rooms/{roomId}/event/{eventId} shows it.
    await this.roomReads.event(requester, roomId, eventId).catch(() => {
      throw notFound;
    });
    await this.add('event', requester, { roomId, eventId, reason, score });
  }

  /** POST /rooms/{roomId}/report (v1.13): the reporter need not be joined. */
  async reportRoom(requester: Requester, roomId: RoomId, reason: string): Promise<void> {
    if (!(await this.storage.roomEvents.room(roomId))) throw new MatrixError('M_NOT_FOUND', 'The room was not found.');
    await this.add('room', requester, { roomId, reason });
  }

  /** POST /users/{userId}/report (v1.14): the reporter need not share a room with the user. */
  async reportUser(requester: Requester, userId: string, reason: string): Promise<void> {
    const target = parseUserId(userId, { historical: true });
    if (serverNameOf(target) === this.serverName && !(await this.storage.users.exists(target))) return;
    await this.add('user', requester, { targetUserId: target, reason });
  }

  /** Event reports, a page at a time, for GET /_synapse/admin/v1/event_reports. */
  async eventReports(query: EventReportQuery): Promise<{ reports: EventReportView[]; total: number }> {
    const { reports, total } = await this.storage.reports.list({ kind: 'event', from: query.from, limit: query.limit, dir: query.dir, reporter: query.userId, roomId: query.roomId });
    return { reports: await Promise.all(reports.map((report) => this.view(report))), total };
  }

  /** One event report with the reported event, for GET /_synapse/admin/v1/event_reports/{reportId}. */
  async eventReport(id: number): Promise<EventReportView & { event_json: Record<string, unknown> | null }> {
    const report = await this.storage.reports.get('event', id);
    if (!report) throw new MatrixError('M_NOT_FOUND', 'Event report not found');
    const local = await this.eventStore.localEvent(report.eventId!);
    return { ...(await this.view(report)), event_json: local ? { ...local.event.pdu } : null };
  }

  private async view(report: ReportRecord): Promise<EventReportView> {
    const roomId = report.roomId as RoomId;
    const [event, name, alias] = await Promise.all([
      this.eventStore.localEvent(report.eventId!),
      this.roomStates.currentEvent(roomId, 'm.room.name', '').catch(() => undefined),
      this.roomStates.currentEvent(roomId, 'm.room.canonical_alias', '').catch(() => undefined),
    ]);
    return {
      id: report.id,
      received_ts: report.receivedTs,
      room_id: report.roomId!,
      name: typeof name?.content.name === 'string' ? name.content.name : null,
      canonical_alias: typeof alias?.content.alias === 'string' ? alias.content.alias : null,
      event_id: report.eventId!,
      user_id: report.reporter,
      sender: event?.event.sender ?? null,
      reason: report.reason,
      score: report.score,
    };
  }

  private async add(kind: ReportKind, requester: Requester, target: { roomId?: string; eventId?: string; targetUserId?: string; reason?: string; score?: number }): Promise<void> {
    await this.storage.reports.add({
      kind,
      reporter: requester.userId,
      roomId: target.roomId ?? null,
      eventId: target.eventId ?? null,
      targetUserId: target.targetUserId ?? null,
      reason: target.reason ?? null,
      score: target.score ?? null,
      receivedTs: this.clock(),
    });
  }
}
