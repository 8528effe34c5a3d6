/**
 * EDUs over federation in both directions (server-server-api "EDUs"): each type subscribes to the
 * bus for what local users do, and handles what other servers send.
 */
import type { Storage } from '../../../storage/storage.ts';
import type { CrossSigning } from '../../e2ee/cross-signing.ts';
import type { ToDevice } from '../../e2ee/to-device.ts';
import type { Presence } from '../../ephemeral/presence.ts';
import type { Receipts } from '../../ephemeral/receipts.ts';
import type { Typing } from '../../ephemeral/typing.ts';
import type { RoomStates } from '../../rooms/room-states.ts';
import { federateToDevice } from './direct-to-device-edu.ts';
import { DeviceListEdus } from './device-list-edu.ts';
import type { EduContext } from './edu-context.ts';
import { federatePresence } from './presence-edu.ts';
import { federateReceipts } from './receipt-edu.ts';
import { TypingEdus } from './typing-edu.ts';

export interface EduServices {
  storage: Storage;
  roomStates: RoomStates;
  typing: Typing;
  receipts: Receipts;
  presence: Presence;
  toDevice: ToDevice;
  crossSigning: CrossSigning;
}

/** Wires every EDU type; stop() ends the typing repeats. */
export function federateEdus(context: EduContext, services: EduServices): { stop(): void } {
  const { storage, roomStates } = services;
  federateReceipts(context, services.receipts, roomStates, storage);
  federatePresence(context, services.presence, storage);
  federateToDevice(context, services.toDevice);
  new DeviceListEdus(context, storage, services.crossSigning);
  return new TypingEdus(context, services.typing, roomStates);
}
