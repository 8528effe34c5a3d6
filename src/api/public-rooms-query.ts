/** The body of POST /publicRooms (client-server-api list_public_rooms.yaml, server-server-api public_rooms.yaml): the same for clients and for other servers. */
import { z } from 'zod';

export const publicRoomsQuery = z.object({
  limit: z.number().int().min(0).optional(),
  since: z.string().optional(),
  filter: z.object({ generic_search_term: z.string().optional(), room_types: z.array(z.string().nullable()).optional() }).optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});
