/**
 * Which events a user may see (client-server-api "History visibility", server behaviour): decided from
 * the room state at each event and the user's current membership. A user always sees their own
 * membership events.
 */
import { stateKeyOf, type StateKey } from '../../core/events/pdu.ts';
import type { LocalEvent } from './event-store.ts';
import type { Membership, RoomStates } from './room-states.ts';

export class HistoryVisibility {
  constructor(private readonly roomStates: RoomStates) {}

  /** The events among `events` that `userId` may see, in the same order. */
  async filter(userId: string, events: readonly LocalEvent[], currentMembership: Membership | undefined): Promise<LocalEvent[]> {
    const visible: LocalEvent[] = [];
    const memberKey = stateKeyOf('m.room.member', userId);
    const visibilityKey = stateKeyOf('m.room.history_visibility', '');
    for (const local of events) {
      const { event } = local;
      if (event.type === 'm.room.member' && event.stateKey === userId) {
        visible.push(local);
        continue;
      }
      // The state "at" an event: after it for state events, so a join is visible to the joiner.
      const groupId = local.stateAfterGroup ?? local.stateBeforeGroup;
      if (groupId === null) continue;
      const state = await this.roomStates.stateOfGroup(groupId);
      const facts = await this.roomStates.events(state, [memberKey, visibilityKey] as StateKey[]);
      const membership = facts.get(memberKey as StateKey)?.content.membership;
      const visibility = (facts.get(visibilityKey as StateKey)?.content.history_visibility as string | undefined) ?? 'shared';
      if (
        visibility === 'world_readable' ||
        membership === 'join' ||
        (visibility === 'shared' && currentMembership === 'join') ||
        (visibility === 'invited' && membership === 'invite')
      ) {
        visible.push(local);
      }
    }
    return visible;
  }

  async canSee(userId: string, local: LocalEvent, currentMembership: Membership | undefined): Promise<boolean> {
    return (await this.filter(userId, [local], currentMembership)).length === 1;
  }
}

