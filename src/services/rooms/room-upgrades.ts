/**
 * Room upgrades (client-server-api "Room Upgrades", data/api/client-server/room_upgrades.yaml): a
 * replacement room in the new version is created through RoomCreation with the old room's
 * transferable state, bans and directory visibility; the local aliases move to it; the old room gets
 * its m.room.tombstone and power levels that stop ordinary users from talking or inviting. Every event
 * goes through the timeline and the auth rules.
 *
 * Concurrency: one upgrade of a room runs at a time in this process. The same request repeated while
 * it runs (a client retrying) gets the same replacement room, as in Synapse; a different one is
 * refused, so a room is never replaced twice at once.
 */
import type { AuthState } from '../../core/auth/check-event-auth.ts';
import { createKey, powerLevelsKey, roomCreators } from '../../core/auth/power-levels.ts';
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { stateKeyOf, type RoomEvent } from '../../core/events/pdu.ts';
import { isRoomAlias, parseUserId, serverNameOf, type EventId, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import { getRoomVersion } from '../../core/room-versions/known-versions.ts';
import type { RoomVersionRules } from '../../core/room-versions/room-version-rules.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { EventStore } from './event-store.ts';
import type { Membership } from './membership.ts';
import type { RoomCreation } from './room-creation.ts';
import type { RoomStates } from './room-states.ts';
import type { Timeline } from './timeline.ts';
import { restrictedPowerLevels, upgradedPowerLevels } from './upgraded-power-levels.ts';

/** Step 3: "the recommended state events to transfer" (power levels are computed apart). */
const transferredTypes = ['m.room.server_acl', 'm.room.encryption', 'm.room.name', 'm.room.avatar', 'm.room.topic', 'm.room.guest_access', 'm.room.history_visibility', 'm.room.join_rules'];
const canonicalAliasKey = stateKeyOf('m.room.canonical_alias', '');

interface Upgrade {
  requester: Requester;
  roomId: RoomId;
  oldRules: Readonly<RoomVersionRules>;
  newRules: Readonly<RoomVersionRules>;
  additionalCreators: UserId[];
}

export class RoomUpgrades {
  /** Per old room, the upgrade running and the request it answers. */
  private readonly running = new Map<string, { request: string; replacement: Promise<RoomId> }>();

  constructor(
    private readonly storage: Storage,
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
    private readonly timeline: Timeline,
    private readonly membership: Membership,
    private readonly roomCreation: RoomCreation,
    private readonly serverName: string,
  ) {}

  /** POST /rooms/{roomId}/upgrade: the replacement room's ID. */
  async upgrade(requester: Requester, roomId: RoomId, newVersion: string, additionalCreators: readonly string[] = []): Promise<RoomId> {
    const newRules = getRoomVersion(newVersion);
    const oldRules = await this.eventStore.roomRules(roomId);
    // room_upgrades.yaml: additional_creators "is ignored" by versions without them.
    const creators = newRules.privilegedCreators ? [...new Set(additionalCreators.map((userId) => parseUserId(userId, { historical: true })))].filter((userId) => userId !== requester.userId) : [];
    // Step 1: "Checks that the user has permission to send m.room.tombstone events in the room."
    const { verdict } = await this.timeline.eventTemplate({ roomId, type: 'm.room.tombstone', stateKey: '', sender: requester.userId as UserId, content: { body: 'This room has been replaced', replacement_room: roomId } });
    if (!verdict.allowed) throw new MatrixError('M_FORBIDDEN', 'You cannot upgrade this room');
    const request = JSON.stringify([requester.userId, newRules.id, creators]);
    const running = this.running.get(roomId);
    if (running?.request === request) return running.replacement;
    if (running) throw new MatrixError('M_BAD_STATE', 'An upgrade of this room is already in progress');
    const replacement = this.replace({ requester, roomId, oldRules, newRules, additionalCreators: creators }).finally(() => this.running.delete(roomId));
    this.running.set(roomId, { request, replacement });
    return replacement;
  }

  private async replace(upgrade: Upgrade): Promise<RoomId> {
    const { requester, roomId, oldRules, newRules } = upgrade;
    const sender = requester.userId as UserId;
    const old = await this.oldState(roomId);
    const create = old.get(createKey)!;
    const oldPowerLevels = old.get(powerLevelsKey)?.content;
    const levels = oldPowerLevels
      && upgradedPowerLevels(oldPowerLevels, oldRules, newRules, {
        upgrader: sender,
        oldCreators: roomCreators(old as AuthState, oldRules),
        newCreators: new Set(newRules.privilegedCreators ? [sender, ...upgrade.additionalCreators] : []),
      });

    // Step 2: the predecessor, the old room's type and federation; v12 creators only as asked.
    const lastEventId = await this.lastEventId(roomId);
    const creationContent: JsonObject = { predecessor: { room_id: roomId, ...(lastEventId ? { event_id: lastEventId } : {}) } };
    if (typeof create.content.type === 'string') creationContent.type = create.content.type;
    if (create.content['m.federate'] === false) creationContent['m.federate'] = false;
    if (upgrade.additionalCreators.length > 0) creationContent.additional_creators = upgrade.additionalCreators;
    // Step 3, and (as Synapse does) a space's children.
    const initialState = [...old.values()]
      .filter((event) => transferredTypes.includes(event.type) || (event.type === 'm.space.child' && Object.keys(event.content).length > 0))
      .map((event) => ({ type: event.type, state_key: event.stateKey ?? '', content: event.content }));
    const isPublic = (await this.storage.roomEvents.room(roomId))?.isPublic === true;
    const replacement = await this.roomCreation.createRoom(requester, {
      roomVersion: newRules.id,
      creationContent,
      preset: 'private_chat',
      visibility: isPublic ? 'public' : 'private',
      initialState,
      powerLevelContentOverride: levels?.setup,
    });
    // Membership is not transferred, but bans are (as Synapse does; MSC4167). A ban the auth rules
    // refuse (a banned user as powerful as the upgrader) is left behind rather than failing the upgrade.
    for (const event of old.values()) {
      if (event.type === 'm.room.member' && event.content.membership === 'ban') {
        await this.membership.ban(requester, replacement, event.stateKey!, typeof event.content.reason === 'string' ? event.content.reason : undefined).catch(() => undefined);
      }
    }

    // Step 5: the tombstone.
    await this.timeline.append({ roomId, type: 'm.room.tombstone', stateKey: '', sender, content: { body: 'This room has been replaced', replacement_room: replacement } });
    // Step 4: local aliases, and this server's part of the canonical alias.
    await this.storage.roomAliases.moveToRoom(roomId, replacement);
    await this.moveCanonicalAlias(sender, roomId, replacement, old.get(canonicalAliasKey)?.content);
    if (isPublic) await this.storage.roomEvents.setPublic(roomId, false);
    // Step 6; an upgrader without the power to change them leaves the old levels as they are.
    const restricted = oldPowerLevels && restrictedPowerLevels(oldPowerLevels, oldRules);
    if (restricted) await this.timeline.append({ roomId, type: 'm.room.power_levels', stateKey: '', sender, content: restricted }).catch(() => undefined);
    // The upgrader's power in the replacement room goes back to what it was.
    if (levels && levels.setup !== levels.final) {
      const current = await this.roomStates.currentEvent(replacement, 'm.room.power_levels', '');
      await this.timeline.append({ roomId: replacement, type: 'm.room.power_levels', stateKey: '', sender, content: { ...current?.content, users: levels.final.users ?? {} } });
    }
    return replacement;
  }

  /** The old room's state an upgrade reads: create, power levels, transferred types, canonical alias, space children, bans. */
  private async oldState(roomId: RoomId) {
    const { state } = await this.roomStates.currentState(roomId);
    const banned = await this.roomStates.members(roomId, ['ban']);
    const keys = [
      ...['m.room.create', 'm.room.power_levels', 'm.room.canonical_alias', ...transferredTypes].map((type) => stateKeyOf(type, '')),
      ...[...state.keys()].filter((key) => key.startsWith('m.space.child\u0000')),
      ...banned.map((userId) => stateKeyOf('m.room.member', userId)),
    ];
    const events = await this.roomStates.events(state, keys);
    // Synapse copies a space's children only; a room that is not a space keeps its own.
    if (events.get(createKey)?.content.type !== 'm.space') for (const [key, event] of events) if (event.type === 'm.space.child') events.delete(key);
    return events as ReadonlyMap<string, RoomEvent>;
  }

  /** m.room.create `predecessor.event_id`: "The event ID of the last known event in the old room". */
  private async lastEventId(roomId: RoomId): Promise<EventId | undefined> {
    const extremities = await this.eventStore.getEvents((await this.storage.roomEvents.forwardExtremities(roomId)) as EventId[]);
    return [...extremities.values()].sort((a, b) => b.depth - a.depth)[0]?.eventId;
  }

  /** The canonical alias and alternative aliases of this server go to the replacement room; others stay. */
  private async moveCanonicalAlias(sender: UserId, roomId: RoomId, replacement: RoomId, content: JsonObject | undefined): Promise<void> {
    if (!content) return;
    const local = (alias: unknown): alias is string => typeof alias === 'string' && isRoomAlias(alias) && serverNameOf(alias) === this.serverName;
    const alternatives = Array.isArray(content.alt_aliases) ? content.alt_aliases : [];
    const moved: JsonObject = {};
    if (local(content.alias)) moved.alias = content.alias;
    if (alternatives.some(local)) moved.alt_aliases = alternatives.filter(local);
    if (Object.keys(moved).length === 0) return;
    const kept: JsonObject = { ...content };
    if (local(content.alias)) delete kept.alias;
    const remaining = alternatives.filter((alias) => !local(alias));
    if (remaining.length > 0) kept.alt_aliases = remaining;
    else delete kept.alt_aliases;
    await this.timeline.append({ roomId: replacement, type: 'm.room.canonical_alias', stateKey: '', sender, content: moved });
    await this.timeline.append({ roomId, type: 'm.room.canonical_alias', stateKey: '', sender, content: kept }).catch(() => undefined);
  }
}
