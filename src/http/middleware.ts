import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

const routeOf = (req: IncomingMessage) => ((req as Request).route?.path as string | undefined) ?? 'unmatched';

/**
 * Echoes a well-formed X-Request-Id or makes one; `req.log` is a logger bound to it, and one line
 * is logged per request. The line holds the method, the path without its query, the route and the
 * status: never headers, bodies or query strings (which can carry credentials and personal data).
 * A 5xx line carries the error the error handler put on `res.err`.
 */
export function requestLogging(log: Logger): RequestHandler {
  return pinoHttp({
    logger: log,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
      (res as ServerResponse & { locals: Record<string, unknown> }).locals.requestId = id;
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessObject: (req, _res, val: object) => ({ ...val, route: routeOf(req) }),
    customErrorObject: (req, _res, _err, val: object) => ({ ...val, route: routeOf(req) }),
  });
}

export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
    });
    next();
  };
}

const common = {
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' as const },
  xFrameOptions: { action: 'deny' as const },
};

/**
 * Security headers (helmet). The API answers JSON: nothing to load, nothing may frame it, nothing
 * cached. The /docs page (swagger-ui) loads its own scripts, styles it inline and shows data: images,
 * and "Try it out" calls the API at its public URL.
 */
export function securityHeaders(publicUrl: string): RequestHandler {
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", new URL(publicUrl).origin],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.path === '/docs' || req.path.startsWith('/docs/')) docs(req, res, next);
    else api(req, res, next);
  };
}
