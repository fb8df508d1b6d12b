import type { IncomingMessage } from 'node:http';
import express, { type Express } from 'express';
import swaggerUi from 'swagger-ui-express';
import { authenticate } from './auth';
import type { AppDeps, RouteContext } from './context';
import { errorHandler, notFoundHandler } from './errors';
import { refuseUnstorableInput } from './input-guard';
import { jsonReplacer } from './json';
import { requestLogging, requestMetrics, securityHeaders } from './middleware';
import { OpenApiRegistry } from './openapi';
import { portal } from './portal';
import { methodsOfPaths } from './route';
import { alertRoutes } from './routes/alerts';
import { auditRoutes } from './routes/audit';
import { authRoutes } from './routes/auth';
import { complianceRoutes } from './routes/compliance';
import { healthRoutes } from './routes/health';
import { kycRoutes } from './routes/kyc';
import { opsRoutes } from './routes/ops';
import { rechargeRoutes } from './routes/recharges';
import { operatorRoutes } from './routes/operators';
import { planRoutes } from './routes/plans';
import { configRoutes } from './routes/config';
import { topupRoutes } from './routes/topups';
import { userRoutes } from './routes/users';
import { walletRoutes } from './routes/wallets';
import { reportRoutes } from './routes/reports';
import { riskRoutes } from './routes/risk';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import { contractErrorOf } from '../errors';

export type RouteModule = (ctx: RouteContext) => void;

const routeModules: RouteModule[] = [
  healthRoutes,
  userRoutes,
  walletRoutes,
  reportRoutes,
  alertRoutes,
  topupRoutes,
  rechargeRoutes,
  operatorRoutes,
  planRoutes,
  configRoutes,
  authRoutes,
  auditRoutes,
  kycRoutes,
  opsRoutes,
  webhookEndpointRoutes,
  complianceRoutes,
  riskRoutes,
];

/** Builds the Express app from its dependencies; listening is the caller's business. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('json replacer', jsonReplacer);
  // Behind a load balancer, req.ip (and so every per-IP limit) is the client it names, not itself.
  app.set('trust proxy', deps.config.api.trustProxy);
  app.use(requestLogging(deps.log));
  app.use(requestMetrics(deps.metrics));
  app.use(securityHeaders(deps.config.api.publicUrl));
  // Webhook and callback signatures are over the exact bytes received.
  const keepRawBody = (req: IncomingMessage & { rawBody?: Buffer }, _res: unknown, buf: Buffer) => {
    req.rawBody = buf;
  };
  app.use(express.json({ limit: '100kb', verify: keepRawBody }));
  // Some recharge providers call back with form posts.
  app.use(express.urlencoded({ extended: false, limit: '100kb', verify: keepRawBody }));
  app.use(refuseUnstorableInput());

  const registry = new OpenApiRegistry();
  const publicRouter = express.Router();
  const router = express.Router();
  router.use('/v1', authenticate(deps));
  for (const mod of routeModules) mod({ router, publicRouter, registry, deps });

  const document = registry.document({
    title: 'Tijori API',
    version: '1.0.0',
    serverUrl: deps.config.api.publicUrl,
  });
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document));

  app.use(methodsOfPaths(registry));
  app.use(publicRouter);
  app.use(router);
  app.use(portal());
  app.use(notFoundHandler());
  app.use(errorHandler([contractErrorOf]));
  return app;
}
