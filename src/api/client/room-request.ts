/** Request parts the room endpoints share: membership bodies and room ID path parameters. */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { parseRoomId, type RoomId } from '../../core/ids/identifiers.ts';
import type { ApiDependencies } from '../dependencies.ts';

export const reasonBody = z.object({ reason: z.string().optional() });
export const targetBody = z.object({ user_id: z.string(), reason: z.string().optional() });

/** A path's room ID, refused with M_INVALID_PARAM when malformed. */
export function roomIdParam(value: string | undefined): RoomId {
  if (value === undefined) throw new MatrixError('M_MISSING_PARAM', 'Missing room ID');
  return parseRoomId(value);
}

/** `!room:id` as is, `#alias:server` through the directory. */
export async function resolveRoomIdOrAlias(deps: ApiDependencies, value: string | undefined): Promise<RoomId> {
  if (value?.startsWith('#')) return roomIdParam((await deps.roomAliases.resolve(value)).room_id);
  return roomIdParam(value);
}
