/**
 * POST /createRoom (client-server-api "Creation", data/api/client-server/create_room.yaml): the events
 * of a new room, in the order the spec requires, each through the timeline and the auth rules.
 */
import type { JsonObject } from '../../core/canonical-json.ts';
import { MatrixError } from '../../core/errors.ts';
import { parseUserId, type RoomId, type UserId } from '../../core/ids/identifiers.ts';
import { getRoomVersion } from '../../core/room-versions/known-versions.ts';
import type { Storage } from '../../storage/storage.ts';
import type { Requester } from '../accounts/accounts.ts';
import type { Membership } from './membership.ts';
import type { Timeline } from './timeline.ts';

export type RoomPreset = 'private_chat' | 'trusted_private_chat' | 'public_chat';

export interface CreateRoomOptions {
  visibility?: 'public' | 'private';
  roomAliasName?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  roomVersion?: string;
  creationContent?: JsonObject;
  initialState?: Array<{ type: string; state_key?: string; content: JsonObject }>;
  preset?: RoomPreset;
  isDirect?: boolean;
  powerLevelContentOverride?: JsonObject;
}

const presetState: Record<RoomPreset, { joinRule: string; historyVisibility: string; guestAccess: string }> = {
  private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join' },
  trusted_private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join' },
  public_chat: { joinRule: 'public', historyVisibility: 'shared', guestAccess: 'forbidden' },
};

/** Room alias localparts: no sigils, colons or whitespace (Synapse refuses the same). */
const aliasLocalpart = /^[^\s:#]+$/;

export class RoomCreation {
  constructor(
    private readonly storage: Storage,
    private readonly timeline: Timeline,
    private readonly membership: Membership,
    private readonly serverName: string,
    private readonly defaultRoomVersion: string,
  ) {}

  async createRoom(requester: Requester, options: CreateRoomOptions): Promise<RoomId> {
    const creator = requester.userId as UserId;
    const rules = getRoomVersion(options.roomVersion ?? this.defaultRoomVersion);
    const preset = options.preset ?? (options.visibility === 'public' ? 'public_chat' : 'private_chat');
    const invitees = (options.invite ?? []).map((userId) => parseUserId(userId, { historical: true }));
    const alias = options.roomAliasName === undefined ? undefined : this.localAlias(options.roomAliasName);
    if (alias && (await this.storage.roomAliases.get(alias))) throw new MatrixError('M_ROOM_IN_USE', `The alias ${alias} is already taken`);

    // 1. m.room.create. Trusted private chats make their invitees creators too (v12, "Note" in step 3).
    const createContent: JsonObject = { ...options.creationContent, room_version: rules.id };
    if (!rules.creatorFromSender) createContent.creator = creator;
    if (rules.privilegedCreators && preset === 'trusted_private_chat' && invitees.length > 0) {
      const additional = Array.isArray(createContent.additional_creators) ? (createContent.additional_creators as string[]) : [];
      createContent.additional_creators = [...new Set([...additional, ...invitees])];
    }
    const { event: create } = await this.timeline.createRoom(rules, creator, createContent, options.visibility === 'public');
    const roomId = create.roomId;
    const creators = new Set<string>([creator, ...(Array.isArray(createContent.additional_creators) ? (createContent.additional_creators as string[]) : [])]);
    const send = (type: string, content: JsonObject, stateKey = '') => this.timeline.append({ roomId, type, stateKey, sender: creator, content });

    // 2. The creator joins.
    await this.membership.join(requester, roomId);

    // 3. Power levels: the creator (v1–11) or nobody explicitly (v12 creators are infinitely powerful).
    const users: JsonObject = {};
    if (!rules.privilegedCreators) users[creator] = 100;
    if (preset === 'trusted_private_chat') for (const invitee of invitees) if (!(rules.privilegedCreators && creators.has(invitee))) users[invitee] = 100;
    await send('m.room.power_levels', { ...defaultPowerLevels(users, rules.privilegedCreators), ...options.powerLevelContentOverride });

    // 4. The canonical alias.
    if (alias) {
      if (!(await this.storage.roomAliases.create({ roomAlias: alias, roomId, creator }))) throw new MatrixError('M_ROOM_IN_USE', `The alias ${alias} is already taken`);
      await send('m.room.canonical_alias', { alias });
    }

    // 5. The preset's state, unless initial_state sets the same (as Synapse does).
    const initial = options.initialState ?? [];
    const overridden = new Set(initial.map((event) => `${event.type}\u0000${event.state_key ?? ''}`));
    const { joinRule, historyVisibility, guestAccess } = presetState[preset];
    if (!overridden.has('m.room.join_rules\u0000')) await send('m.room.join_rules', { join_rule: joinRule });
    if (!overridden.has('m.room.history_visibility\u0000')) await send('m.room.history_visibility', { history_visibility: historyVisibility });
    if (!overridden.has('m.room.guest_access\u0000')) await send('m.room.guest_access', { guest_access: guestAccess });

    // 6. initial_state, in order; 7. name and topic override what it set.
    for (const event of initial) {
      if ((event.type === 'm.room.name' && options.name !== undefined) || (event.type === 'm.room.topic' && options.topic !== undefined)) continue;
      await send(event.type, event.content, event.state_key ?? '');
    }
    if (options.name !== undefined) await send('m.room.name', { name: options.name });
    if (options.topic !== undefined) await send('m.room.topic', { topic: options.topic, 'm.topic': { 'm.text': [{ body: options.topic, mimetype: 'text/plain' }] } });

    // 8. Invites.
    for (const invitee of invitees) await this.membership.invite(requester, roomId, invitee, undefined, options.isDirect === true);
    return roomId;
  }

  private localAlias(localpart: string): string {
    const alias = `#${localpart}:${this.serverName}`;
    if (!aliasLocalpart.test(localpart) || new TextEncoder().encode(alias).length > 255) throw new MatrixError('M_INVALID_PARAM', `Invalid room_alias_name: ${JSON.stringify(localpart)}`);
    return alias;
  }
}

/** The power levels Synapse gives a new room; v12 rooms need tombstone above state_default (step 3). */
function defaultPowerLevels(users: JsonObject, privilegedCreators: boolean): JsonObject {
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
  };
}
