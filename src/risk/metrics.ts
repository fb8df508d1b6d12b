import client from 'prom-client';
import type { Logger } from '../logger';
import type { RiskStore } from './store';

/**
 * Risk alerts as gauges read from PostgreSQL at each scrape: alerts are recorded by the API and
 * the worker alike, so counting them where they are written would split the count by process.
 */
export function registerRiskMetrics(registry: client.Registry, store: RiskStore, log: Logger): void {
  new client.Gauge({
    name: 'tijori_risk_alerts',
    help: 'Risk alerts of the last 24 hours by rule, action and status (open ones of any age included)',
    labelNames: ['rule', 'action', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const r of await store.alertCounts()) this.set({ rule: r.rule, action: r.action, status: r.status }, r.n);
      } catch (err) {
        log.warn({ err }, 'metrics: could not count the risk alerts');
      }
    },
  });
}
