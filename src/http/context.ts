import type { Router } from 'express';
import type { AuditService } from '../audit/service';
import type { AuthServices } from '../auth/services';
import type { ConfigService } from '../catalog/config-service';
import type { ComplianceReports } from '../compliance/reports';
import type { SanctionsService } from '../compliance/watchlist';
import type { CatalogService } from '../catalog/service';
import type { Config } from '../config';
import type { AlertSettings } from '../events/settings';
import type { IdempotencyStore } from '../db/idempotency';
import type { KycService } from '../kyc/service';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { OpsService } from '../ops/service';
import type { ReportService } from '../reports/service';
import type { RechargeProvider, ProviderExchange } from '../providers/recharge/types';
import type { RechargeAdmission } from '../recharges/admission';
import type { RechargeService } from '../recharges/service';
import type { RiskAdmin } from '../risk/service';
import type { TopupService } from '../topups/service';
import type { UserService } from '../users/service';
import type { WalletService } from '../wallets/service';
import type { WebhookService } from '../webhooks/service';
import type { OpenApiRegistry } from './openapi';

/** Everything the HTTP layer needs, built by a composition root (src/run/api.ts). */
export interface AppDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  idempotency: IdempotencyStore;
  users: UserService;
  wallets: WalletService;
  alerts: AlertSettings;
  topups: TopupService;
  kyc: KycService;
  auth: AuthServices;
  recharges: RechargeService;
  catalog: CatalogService;
  configuration: ConfigService;
  admission: RechargeAdmission;
  ops: OpsService;
  reports: ReportService;
  webhooks: WebhookService;
  audit: AuditService;
  risk: RiskAdmin;
  /** AML reports and sanctions screening (src/compliance). */
  compliance: { reports: ComplianceReports; sanctions: SanctionsService };
  /** For /readyz: each resolves once its dependency answers. */
  readiness: { database(): Promise<void>; temporal(): Promise<void> };
  /** For provider callbacks: parse with the provider's definition, keep the raw exchange. */
  rechargeProviders: {
    get(name: string): Promise<RechargeProvider | undefined>;
    recordExchange(rechargeId: string | null, exchange: ProviderExchange): Promise<void>;
  };
}

export interface RouteContext {
  /** Routes behind authentication (every /v1 route but webhooks). */
  router: Router;
  /** Unauthenticated routes: health, metrics, signed webhooks and provider callbacks. */
  publicRouter: Router;
  registry: OpenApiRegistry;
  deps: AppDeps;
}
