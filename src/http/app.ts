import express, { type Express, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { AppDeps, RouteContext } from './context';
import { errorHandler, notFoundHandler, type DomainErrorMapper } from './errors';
import { requestContext, securityHeaders } from './middleware';
import { OpenApiRegistry } from './openapi';
import { healthRoutes } from './routes/health';

export type RouteModule = (ctx: RouteContext) => void;

const routeModules: RouteModule[] = [healthRoutes];
const domainErrorMappers: DomainErrorMapper[] = [];

/** Builds the Express app from its dependencies; listening is the caller's business. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext(deps.log, deps.metrics));
  app.use(securityHeaders());
  app.use(express.json({ limit: '100kb' }));

  const registry = new OpenApiRegistry();
  const router = express.Router();
  for (const mod of routeModules) mod({ router, registry, deps });

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

  app.use(router);
  app.use(notFoundHandler());
  app.use(errorHandler(deps.log, domainErrorMappers));
  return app;
}
