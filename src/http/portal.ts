import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * The portal's policy: everything from this origin, nothing inline, no framing. React sets
 * styles through the CSSOM, which style-src does not govern, so no 'unsafe-inline' is needed.
 */
export const portalCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** portal/dist beside the package.json above this file (src/http under tsx, dist/src/http built). */
export function defaultPortalDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'portal', 'dist');
    if (path.dirname(dir) === dir) return path.resolve('portal', 'dist');
  }
}

/**
 * Serves the built portal: its files, and index.html for any other page a browser asks for
 * (a GET outside /v1 that accepts HTML), so deep links work. API requests fall through to the
 * JSON 404/405, whatever they accept. Does nothing when the portal is not built.
 */
export function portal(dir = defaultPortalDir()): RequestHandler {
  const index = path.join(dir, 'index.html');
  const files = express.static(dir, {
    index: false,
    redirect: false,
    setHeaders: (res, file) => {
      res.setHeader('Content-Security-Policy', portalCsp);
      // Vite puts a content hash in every asset's name.
      const hashed = path.relative(dir, file).startsWith(`assets${path.sep}`);
      res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || /^\/v1(\/|$)/i.test(req.path) || !fs.existsSync(index)) {
      next();
      return;
    }
    files(req, res, () => {
      // A browser's Accept names text/html; curl's and API clients' */* gets the JSON 404.
      if (req.accepts(['json', 'html']) !== 'html') {
        next();
        return;
      }
      res.setHeader('Content-Security-Policy', portalCsp);
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  };
}
