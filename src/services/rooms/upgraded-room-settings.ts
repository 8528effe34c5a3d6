/**
 * client-server-api "Room Upgrades", server behaviour: "When a user joins the new room, the server
 * should automatically transfer/replicate some of the user's personalized settings such as
 * notifications, tags, etc." As Synapse does: the user's tags of the old room, its place in their
 * m.direct, and their push rules for it (its room rule, and override and underride rules whose
 * room_id condition names it, with the new room's ID in place of the old one's). Nothing the user
 * already set for the new room is overwritten.
 */
import type { PushCondition } from '../../core/push/push-rule.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AccountData } from '../account-data/account-data.ts';
import type { PushRules } from '../push/push-rules.ts';
import type { RoomStates } from './room-states.ts';

export class UpgradedRoomSettings {
  constructor(
    private readonly storage: Storage,
    private readonly roomStates: RoomStates,
    private readonly accountData: AccountData,
    private readonly pushRules: PushRules,
  ) {}

  /** After `userId` joined `roomId`: if the room replaced another, the user's settings for that one follow. */
  async copyOnJoin(userId: string, roomId: string): Promise<void> {
    const create = await this.roomStates.currentEvent(roomId as Parameters<RoomStates['currentEvent']>[0], 'm.room.create', '');
    const predecessor = (create?.content.predecessor as { room_id?: unknown } | undefined)?.room_id;
    if (typeof predecessor !== 'string' || predecessor === roomId) return;
    await this.copyTags(userId, predecessor, roomId);
    await this.copyDirect(userId, predecessor, roomId);
    await this.copyPushRules(userId, predecessor, roomId);
  }

  private async copyTags(userId: string, from: string, to: string): Promise<void> {
    const tags = await this.storage.accountData.get(userId, from, 'm.tag');
    if (!tags || Object.keys((tags.tags as object | undefined) ?? {}).length === 0) return;
    if (await this.storage.accountData.get(userId, to, 'm.tag')) return;
    await this.accountData.write(userId, to, 'm.tag', tags);
  }

  /** m.direct maps users to their direct rooms: the new room joins every list the old one is in. */
  private async copyDirect(userId: string, from: string, to: string): Promise<void> {
    const direct = await this.storage.accountData.get(userId, null, 'm.direct');
    if (!direct) return;
    let changed = false;
    const updated = Object.fromEntries(
      Object.entries(direct).map(([user, rooms]) => {
        if (!Array.isArray(rooms) || !rooms.includes(from) || rooms.includes(to)) return [user, rooms];
        changed = true;
        return [user, [...rooms, to]];
      }),
    );
    if (changed) await this.accountData.write(userId, null, 'm.direct', updated);
  }

  private async copyPushRules(userId: string, from: string, to: string): Promise<void> {
    const ruleset = await this.pushRules.ruleset(userId);
    const roomRule = ruleset.room.find((rule) => rule.rule_id === from);
    if (roomRule && !ruleset.room.some((rule) => rule.rule_id === to)) await this.copyRule(userId, 'room', to, roomRule);
    for (const kind of ['override', 'underride'] as const) {
      for (const rule of ruleset[kind]) {
        const namesRoom = (condition: PushCondition) => condition.kind === 'event_match' && condition.key === 'room_id' && condition.pattern === from;
        // A rule whose ID does not name the room would be replaced, not copied (Synapse's rule too).
        if (rule.default || !rule.rule_id.includes(from) || !rule.conditions?.some(namesRoom)) continue;
        const ruleId = rule.rule_id.replaceAll(from, to);
        if (ruleset[kind].some((existing) => existing.rule_id === ruleId)) continue;
        const conditions = rule.conditions.map((condition) => (namesRoom(condition) ? { ...condition, pattern: to } : condition));
        await this.copyRule(userId, kind, ruleId, { ...rule, conditions });
      }
    }
  }

  private async copyRule(userId: string, kind: string, ruleId: string, rule: { actions: Parameters<PushRules['setActions']>[3]; conditions?: PushCondition[]; enabled: boolean }): Promise<void> {
    await this.pushRules.setRule(userId, kind, ruleId, { actions: rule.actions, conditions: rule.conditions }, {});
    if (!rule.enabled) await this.pushRules.setEnabled(userId, kind, ruleId, false);
  }
}
