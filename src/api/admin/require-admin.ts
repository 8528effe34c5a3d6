/** Synapse's admin APIs (/_synapse/admin/...) are for server administrators only. */
import { MatrixError } from '../../core/errors.ts';
import type { Requester } from '../../services/accounts/accounts.ts';

export function requireAdmin(requester: Requester): void {
  if (!requester.isAdmin) throw new MatrixError('M_FORBIDDEN', 'You are not a server admin');
}
