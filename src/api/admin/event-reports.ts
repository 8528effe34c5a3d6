/** Synapse's event reports admin API (/_synapse/admin/v1/event_reports), over client-server-api "Reporting Content". */
import { z } from 'zod';
import { MatrixError } from '../../core/errors.ts';
import { defineEndpoint } from '../endpoint.ts';
import { queryParam } from '../query-params.ts';
import { requireAdmin } from './require-admin.ts';

const base = '/_synapse/admin/v1/event_reports';

export const listEventReports = defineEndpoint({
  method: 'GET',
  path: base,
  resources: ['client'],
  auth: 'user',
  query: z.object({
    from: queryParam.count.default(0),
    limit: queryParam.count.pipe(z.number().min(1)).default(100),
    dir: queryParam.direction.default('b'),
    user_id: z.string().optional(),
    room_id: z.string().optional(),
  }),
  handle: async ({ requester, query }, deps) => {
    requireAdmin(requester);
    const { reports, total } = await deps.reports.eventReports({ from: query.from, limit: query.limit, dir: query.dir, userId: query.user_id, roomId: query.room_id });
    const next = query.from + reports.length;
    return { event_reports: reports, total, ...(next < total ? { next_token: next } : {}) };
  },
});

export const getEventReport = defineEndpoint({
  method: 'GET',
  path: `${base}/:reportId`,
  resources: ['client'],
  auth: 'user',
  handle: async ({ requester, params }, deps) => {
    requireAdmin(requester);
    if (!/^\d{1,15}$/.test(params.reportId!)) throw new MatrixError('M_INVALID_PARAM', 'The report ID must be a positive integer');
    return deps.reports.eventReport(Number(params.reportId));
  },
});
