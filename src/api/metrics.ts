/** Prometheus metrics, at Synapse's path so existing scrape configs work. */
import { Response, defineEndpoint } from './endpoint.ts';

export const getMetrics = defineEndpoint({
  method: 'GET',
  path: '/_synapse/metrics',
  resources: ['metrics'],
  auth: 'none',
  handle: async (_request, deps) => new Response(200, await deps.metrics.metrics(), { 'Content-Type': deps.metrics.contentType }),
});
