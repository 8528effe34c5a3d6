/**
 * Events a test builds as another server would: an event of one of its users in a room of a test
 * server, on the room's current forward extremities, with the auth events rooms/v12 selects (power
 * levels, the sender's membership, and the join rules for a membership event), signed by that server.
 */
import type { JsonObject } from '../../src/core/canonical-json.ts';
import type { SigningKey } from '../../src/core/crypto/signing-key.ts';
import { buildEvent } from '../../src/core/events/build-event.ts';
import { stateKeyOf } from '../../src/core/events/pdu.ts';
import type { EventId, RoomId, UserId } from '../../src/core/ids/identifiers.ts';
import { getRoomVersion } from '../../src/core/room-versions/known-versions.ts';
import type { TestHomeserver } from './homeserver.ts';

export interface RemoteEventDraft {
  type: string;
  stateKey?: string;
  content: JsonObject;
}

/** The PDU of `sender`'s event in `host`'s room (a v12 room), signed by `signer`, the sender's server. */
export async function remoteUserEvent(host: TestHomeserver, roomId: string, sender: string, draft: RemoteEventDraft, signer: { serverName: string; key: SigningKey }): Promise<JsonObject> {
  const storage = host.homeserver.storage;
  const state = await storage.roomEvents.currentState(roomId);
  const extremities = await storage.roomEvents.forwardExtremities(roomId);
  const prevs = await storage.roomEvents.events(extremities);
  const keys = [stateKeyOf('m.room.power_levels', ''), ...(draft.type === 'm.room.member' ? [stateKeyOf('m.room.join_rules', '')] : []), stateKeyOf('m.room.member', sender)];
  return buildEvent(
    {
      rules: getRoomVersion('12'),
      roomId: roomId as RoomId,
      type: draft.type,
      stateKey: draft.stateKey,
      sender: sender as UserId,
      content: draft.content,
      prevEvents: extremities as EventId[],
      authEvents: keys.flatMap((key) => state.get(key) ?? []) as EventId[],
      depth: Math.max(...[...prevs.values()].map((event) => event.depth)) + 1,
      originServerTs: Date.now(),
    },
    signer,
  ).pdu;
}
