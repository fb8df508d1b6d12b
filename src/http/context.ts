import type { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { IdempotencyStore } from '../db/idempotency';
import type { Db } from '../db/knex';
import type { Ledger } from '../ledger';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { TopupService } from '../topups/service';
import type { UserService } from '../users/service';
import type { WalletService } from '../wallets/service';
import type { OpenApiRegistry } from './openapi';

/** Everything the HTTP layer needs, built by a composition root (src/run/api.ts). */
export interface AppDeps {
  config: Config;
  db: Db;
  ledger: Ledger;
  temporal: Client;
  log: Logger;
  metrics: Metrics;
  idempotency: IdempotencyStore;
  users: UserService;
  wallets: WalletService;
  topups: TopupService;
}

export interface RouteContext {
  /** Routes behind authentication (every /v1 route but webhooks). */
  router: Router;
  /** Unauthenticated routes: health, metrics, signed webhooks and provider callbacks. */
  publicRouter: Router;
  registry: OpenApiRegistry;
  deps: AppDeps;
}
