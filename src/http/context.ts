import type { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { OpenApiRegistry } from './openapi';

/** Everything the HTTP layer needs, built by a composition root (src/main-*.ts). */
export interface AppDeps {
  config: Config;
  db: Db;
  temporal: Client;
  log: Logger;
  metrics: Metrics;
}

export interface RouteContext {
  router: Router;
  registry: OpenApiRegistry;
  deps: AppDeps;
}
