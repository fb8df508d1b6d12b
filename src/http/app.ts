import type { IncomingMessage } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { authenticate } from './auth';
import type { AppDeps, RouteContext } from './context';
import { errorHandler, notFoundHandler } from './errors';
import { refuseUnstorableInput } from './input-guard';
import { jsonReplacer } from './json';
import { requestContext, securityHeaders } from './middleware';
import { OpenApiRegistry } from './openapi';
import { auditRoutes } from './routes/audit';
import { authRoutes } from './routes/auth';
import { healthRoutes } from './routes/health';
import { kycRoutes } from './routes/kyc';
import { opsRoutes } from './routes/ops';
import { rechargeRoutes } from './routes/recharges';
import { topupRoutes } from './routes/topups';
import { userRoutes } from './routes/users';
import { walletRoutes } from './routes/wallets';
import { contractErrorOf } from '../errors';

export type RouteModule = (ctx: RouteContext) => void;

const routeModules: RouteModule[] = [
  healthRoutes,
  userRoutes,
  walletRoutes,
  topupRoutes,
  rechargeRoutes,
  authRoutes,
  auditRoutes,
  kycRoutes,
  opsRoutes,
];

/** Builds the Express app from its dependencies; listening is the caller's business. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('json replacer', jsonReplacer);
  app.use(requestContext(deps.log, deps.metrics));
  app.use(securityHeaders());
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
  const docsCsp: RequestHandler = (_req, res, next) => {
    // swagger-ui needs inline scripts and styles; the rest of the API keeps the strict defaults.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
    );
    next();
  };
  app.use('/docs', docsCsp, swaggerUi.serve, swaggerUi.setup(document));

  app.use(publicRouter);
  app.use(router);
  app.use(notFoundHandler());
  app.use(errorHandler(deps.log, [contractErrorOf]));
  return app;
}
