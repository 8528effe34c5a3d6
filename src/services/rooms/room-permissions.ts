/**
 * Permission questions the client API asks before acting (publishing a room, deleting an alias,
 * redacting another user's event), answered from the room's current power levels with the core's
 * power-level reading, so v12 creators and the defaults behave exactly as in the auth rules.
 */
import { createKey, namedPowerLevel, powerLevelsKey, requiredPowerLevel, userPowerLevel } from '../../core/auth/power-levels.ts';
import type { RoomId, UserId } from '../../core/ids/identifiers.ts';
import type { EventStore } from './event-store.ts';
import type { RoomStates } from './room-states.ts';

export class RoomPermissions {
  constructor(
    private readonly eventStore: EventStore,
    private readonly roomStates: RoomStates,
  ) {}

  /** Whether the user's power reaches what the room requires to send state events of `type`. */
  async canSendState(userId: string, roomId: RoomId, type: string): Promise<boolean> {
    const { rules, authState } = await this.powerState(roomId);
    return userPowerLevel(userId as UserId, authState, rules) >= requiredPowerLevel(type, '', authState, rules);
  }

  /** Whether the user may redact other users' events (the "redact" power level). */
  async canRedactOthers(userId: string, roomId: RoomId): Promise<boolean> {
    const { rules, authState } = await this.powerState(roomId);
    return userPowerLevel(userId as UserId, authState, rules) >= namedPowerLevel('redact', authState, rules);
  }

  private async powerState(roomId: RoomId) {
    const rules = await this.eventStore.roomRules(roomId);
    const { state } = await this.roomStates.currentState(roomId);
    return { rules, authState: await this.roomStates.events(state, [createKey, powerLevelsKey]) };
  }
}
