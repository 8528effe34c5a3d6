/** Request counts and latencies per endpoint for the metrics resource. */
import type { Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';

const metricName = 'lattice_http_request_duration_seconds';

export function httpMetrics(registry: Registry): Middleware {
  // One histogram per registry, shared by every listener's app (a server may listen on several ports).
  const registered = registry.getSingleMetric(metricName) as Histogram<'method' | 'endpoint' | 'status'> | undefined;
  const duration = registered ?? new Histogram({
    name: metricName,
    help: 'HTTP request latency by endpoint, method and status',
    labelNames: ['method', 'endpoint', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      // The route template, not the raw path, so IDs in paths do not explode the label space.
      end({ method: ctx.method, endpoint: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) });
    }
  };
}
