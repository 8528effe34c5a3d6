/** The schema of /sync filters (definitions/sync_filter.yaml and the event filters it holds). */
import { z } from 'zod';
import { MatrixError } from '../core/errors.ts';

const ids = z.array(z.string());
// definitions/event_filter.yaml
const eventFilter = z.looseObject({ limit: z.number().int().min(1).optional(), not_senders: ids.optional(), not_types: ids.optional(), senders: ids.optional(), types: ids.optional() });
// definitions/room_event_filter.yaml
export const roomEventFilter = eventFilter.extend({
  not_rooms: ids.optional(),
  rooms: ids.optional(),
  contains_url: z.boolean().optional(),
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});
// definitions/sync_filter.yaml
export const syncFilter = z.looseObject({
  event_fields: ids.optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: eventFilter.optional(),
  account_data: eventFilter.optional(),
  room: z
    .looseObject({
      not_rooms: ids.optional(),
      rooms: ids.optional(),
      ephemeral: roomEventFilter.optional(),
      include_leave: z.boolean().optional(),
      state: roomEventFilter.optional(),
      timeline: roomEventFilter.optional(),
      account_data: roomEventFilter.optional(),
    })
    .optional(),
});

export type SyncFilterBody = z.infer<typeof syncFilter>;

export type RoomEventFilter = z.infer<typeof roomEventFilter>;

/** The `filter` query parameter of /messages and /context: a RoomEventFilter as JSON. */
export function parseRoomEventFilter(value: string | string[] | undefined): RoomEventFilter | undefined {
  if (typeof value !== 'string') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new MatrixError('M_NOT_JSON', 'The filter parameter is not valid JSON');
  }
  const parsed = roomEventFilter.safeParse(json);
  if (!parsed.success) throw new MatrixError('M_BAD_JSON', `Invalid filter: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`);
  return parsed.data;
}
