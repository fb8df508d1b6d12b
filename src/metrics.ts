import client from 'prom-client';

/** One Prometheus registry per process; modules register their metrics on it. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpRequests = new client.Counter({
    name: 'tijori_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'tijori_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const providerCallbacks = new client.Counter({
    name: 'tijori_provider_callbacks_total',
    help: 'Recharge provider callbacks received, by provider and what came of them',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  });
  const opsActions = new client.Counter({
    name: 'tijori_ops_actions_total',
    help: 'Manual operations actions over the API (resolve, top-up settlement, retry), by action',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration, providerCallbacks, opsActions };
}

export type Metrics = ReturnType<typeof createMetrics>;
