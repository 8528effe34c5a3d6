/**
 * Push actions for each persisted event (client-server-api "Push Notifications: Server behaviour"):
 * the push rules of every local member except the sender are evaluated, and the notifying results
 * stored in the event's own transaction, so the event and the counts it raises reach /sync together.
 *
 * It runs inside the persist transaction on every send, so it must be cheap and must not touch the
 * database outside `tx` (SQLite has one connection, held by that transaction). Rulesets are cached per
 * user (dropped when the PushRules service reports a change); what a member event says (membership,
 * display name) is cached by event ID, which is safe because an event ID names fixed content.
 */
import { lru } from '../../util/lru.ts';
import type { AuthState } from '../../core/auth/check-event-auth.ts';
import { notificationPowerLevel, userPowerLevel } from '../../core/auth/power-levels.ts';
import { isJsonObject, type JsonObject } from '../../core/canonical-json.ts';
import { stateKeyOf, type RoomEvent, type StateKey } from '../../core/events/pdu.ts';
import { serverNameOf, type EventId, type UserId } from '../../core/ids/identifiers.ts';
import { evaluatePushRules, highlights, notifies } from '../../core/push/evaluate-push-rules.ts';
import type { PushRuleset } from '../../core/push/push-rule.ts';
import type { PushActionRecord } from '../../storage/repositories/event-push-actions.ts';
import type { Repositories } from '../../storage/storage.ts';
import type { EventStore } from '../rooms/event-store.ts';
import type { StateMap } from '../rooms/room-states.ts';
import type { AfterCommit, AppendedEvent, PersistHook } from '../rooms/timeline.ts';
import type { ServerEvents } from '../server-events.ts';
import type { PushRules } from './push-rules.ts';

interface MemberFacts {
  membership: string;
  displayName: string | undefined;
}

const memberPrefix = 'm.room.member\u0000';
const createKey = stateKeyOf('m.room.create', '');
const powerLevelsKey = stateKeyOf('m.room.power_levels', '');

/** threading "maximum of 3 hops" when following relations to a thread root. */
const maxThreadHops = 3;

export class PushActions {
  private readonly rulesets = lru<string, PushRuleset>(20_000);
  private readonly memberFacts = lru<string, MemberFacts>(30_000);
  /** Bumped on every push rule change, so a ruleset read while one commits is not cached stale. */
  private ruleChanges = 0;

  /** Give this to the Timeline: it runs in the transaction persisting each batch of events. */
  readonly persistHook: PersistHook = async (tx, events) => {
    const rows: PushActionRecord[] = [];
    const afterCommits: Array<AfterCommit | undefined> = [];
    for (const { appended, stateAfter } of events) {
      const eventRows = await this.actionsFor(tx, appended, stateAfter);
      rows.push(...eventRows);
      const announce = eventRows.length === 0 ? undefined : this.announce(appended, eventRows);
      const { redacts, roomId } = appended.event;
      if (redacts === undefined) {
        afterCommits.push(announce);
        continue;
      }
      // A redacted event no longer counts as unread for anyone.
      await tx.eventPushActions.removeNotifications(redacts);
      afterCommits.push(() => {
        announce?.();
        this.events.emit('unreadChanged', { roomId });
      });
    }
    if (rows.length > 0) await tx.eventPushActions.insert(rows);
    return afterCommits;
  };

  constructor(
    private readonly eventStore: EventStore,
    private readonly pushRules: PushRules,
    private readonly events: ServerEvents,
    private readonly serverName: string,
  ) {
    events.on('pushRules', ({ userId }) => {
      this.ruleChanges++;
      this.rulesets.delete(userId);
    });
  }

  private announce({ event, streamPosition }: AppendedEvent, rows: readonly PushActionRecord[]): AfterCommit {
    const actions = rows.map(({ userId, threadId, notify, highlight }) => ({ userId, threadId, notify, highlight }));
    return () => this.events.emit('pushActions', { roomId: event.roomId, position: streamPosition, actions });
  }

  /** The push action rows of one event: its sender's read point, and each notified member's actions. */
  private async actionsFor(tx: Repositories, { event, streamPosition }: AppendedEvent, stateAfter: StateMap): Promise<PushActionRecord[]> {
    const rows: PushActionRecord[] = [];
    const threadId = await this.threadOf(tx, event);
    const row = (userId: string, fields: Pick<PushActionRecord, 'notify' | 'highlight' | 'actions'>) => ({ userId, roomId: event.roomId, eventId: event.eventId, streamPosition, threadId, ...fields });
    // "Marking notifications as read": sending an event moves the sender's read point to it.
    if (this.isLocal(event.sender)) rows.push(row(event.sender, { notify: false, highlight: false, actions: [] }));

    const { recipients, memberCount } = await this.recipients(tx, event, stateAfter);
    if (recipients.size > 0) {
      const authState = await this.powerLevelState(tx, stateAfter);
      const rules = await this.eventStore.roomRules(event.roomId, tx);
      const senderPowerLevel = userPowerLevel(event.sender, authState, rules);
      const notificationLevel = (key: string) => notificationPowerLevel(key, authState, rules);
      const json: JsonObject = event.pdu.room_id === undefined ? { ...event.pdu, room_id: event.roomId } : event.pdu;
      for (const [userId, displayName] of recipients) {
        const ruleset = await this.ruleset(tx, userId);
        // An enabled master rule silences everything: no need to try the rest.
        if (ruleset.override.some((rule) => rule.rule_id === '.m.rule.master' && rule.enabled)) continue;
        const match = evaluatePushRules(ruleset, json, { displayName, memberCount, senderPowerLevel, notificationPowerLevel: notificationLevel });
        if (match && notifies(match.actions)) rows.push(row(userId, { notify: true, highlight: highlights(match.actions), actions: match.actions }));
      }
    }
    return rows;
  }

  /**
   * Whose rules to evaluate, with their display names, and the joined member count. For a membership
   * event only its local target's (their invite, as Synapse does: nobody else is notified of joins and
   * leaves, which keeps joins to large rooms cheap); otherwise every local joined member but the sender.
   */
  private async recipients(tx: Repositories, event: RoomEvent, stateAfter: StateMap): Promise<{ recipients: Map<string, string | undefined>; memberCount: number }> {
    this.remember(event);
    const memberIds = [...stateAfter].filter(([key]) => key.startsWith(memberPrefix));
    const missing = memberIds.map(([, id]) => id).filter((id) => !this.memberFacts.has(id));
    if (missing.length > 0) for (const local of (await this.eventStore.localEvents(missing, tx)).values()) this.remember(local.event);
    const recipients = new Map<string, string | undefined>();
    let memberCount = 0;
    for (const [key, id] of memberIds) {
      const facts = this.memberFacts.get(id);
      if (facts?.membership !== 'join') continue;
      memberCount++;
      const userId = key.slice(memberPrefix.length);
      if (event.type !== 'm.room.member' && userId !== event.sender && this.isLocal(userId)) recipients.set(userId, facts.displayName);
    }
    if (event.type === 'm.room.member' && event.stateKey !== undefined && event.stateKey !== event.sender && this.isLocal(event.stateKey)) {
      recipients.set(event.stateKey, this.memberFacts.get(event.eventId)?.displayName);
    }
    return { recipients, memberCount };
  }

  private remember(event: RoomEvent): void {
    if (event.type !== 'm.room.member' || this.memberFacts.has(event.eventId)) return;
    const name = event.content.displayname;
    this.memberFacts.set(event.eventId, { membership: String(event.content.membership), displayName: typeof name === 'string' ? name : undefined });
  }

  /** The create and power levels events: what sender_notification_permission needs. */
  private async powerLevelState(tx: Repositories, stateAfter: StateMap): Promise<AuthState> {
    const keys = [createKey, powerLevelsKey].filter((key) => stateAfter.has(key));
    const events = await this.eventStore.localEvents(keys.map((key) => stateAfter.get(key)!), tx);
    const state = new Map<StateKey, RoomEvent>();
    for (const key of keys) {
      const local = events.get(stateAfter.get(key)! as EventId);
      if (local) state.set(key, local.event);
    }
    return state;
  }

  private async ruleset(tx: Repositories, userId: string): Promise<PushRuleset> {
    const cached = this.rulesets.get(userId);
    if (cached) return cached;
    const changesBefore = this.ruleChanges;
    const ruleset = await this.pushRules.ruleset(userId, tx);
    if (this.ruleChanges === changesBefore) this.rulesets.set(userId, ruleset);
    return ruleset;
  }

  /**
   * receipts "Threaded read receipts": an event is in a thread if it has an m.thread relation, or
   * relates (within a few hops) to an event that has one; otherwise it is in the main timeline (null).
   */
  private async threadOf(tx: Repositories, event: RoomEvent): Promise<string | null> {
    let content = event.content;
    for (let hop = 0; hop < maxThreadHops; hop++) {
      const relation = content['m.relates_to'];
      if (!isJsonObject(relation) || typeof relation.rel_type !== 'string' || typeof relation.event_id !== 'string') return null;
      if (relation.rel_type === 'm.thread') return relation.event_id;
      const parent = (await this.eventStore.localEvents([relation.event_id], tx)).get(relation.event_id as EventId);
      if (!parent || parent.event.roomId !== event.roomId) return null;
      content = parent.event.content;
    }
    return null;
  }

  private isLocal(userId: string): boolean {
    return serverNameOf(userId as UserId) === this.serverName;
  }
}
