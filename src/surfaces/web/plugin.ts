import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../platform/errors.js';
import { packageRoot } from '../../platform/paths.js';

export interface WebSurfaceOptions {
  /** Where `npm run build:web` writes (web/dist): dashboard/ and widget.js. */
  distDir?: string;
}

export const DEFAULT_WEB_DIST = path.join(packageRoot, 'web', 'dist');

// Model output is shown in the dashboard and the operator token sits in its storage: no inline
// or foreign scripts, no framing. Mantine sets inline styles, hence 'unsafe-inline' for styles.
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const hidden = { hide: true };

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Compressed variants (.br/.gz from the build) are chosen by Accept-Encoding: caches must know. */
function varyOnEncoding(reply: FastifyReply): FastifyReply {
  const vary = reply.getHeader('vary');
  return reply.header('Vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
}

function notBuilt(reply: FastifyReply, what: string): FastifyReply {
  return reply
    .status(503)
    .header('Cache-Control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(
      `The Papo ${what} has not been built yet.\n` +
        'Run `npm run build` (or just `npm run build:web`) in the Papo folder, then reload this page.\n' +
        '`npm start` builds it for you.\n',
    );
}

/**
 * The operator dashboard (a Vite SPA under /dashboard/) and the embeddable chat widget
 * (/widget.js). Both are static clients of the HTTP API; routes are kept out of openapi.json.
 */
export const webSurface: FastifyPluginAsync<WebSurfaceOptions> = async (app, opts) => {
  const dist = opts.distDir ?? DEFAULT_WEB_DIST;
  const dashboard = path.join(dist, 'dashboard');
  // Only reply.sendFile (path-traversal safe, ETag, ranges); routing is ours for the SPA fallback.
  await app.register(fastifyStatic, { root: dist, serve: false, preCompressed: true });

  app.get('/dashboard', { schema: hidden, exposeHeadRoute: true }, async (_req, reply) =>
    reply.redirect('/dashboard/', 302),
  );

  app.get('/dashboard/*', { schema: hidden, exposeHeadRoute: true }, async (req, reply) => {
    if (!(await exists(path.join(dashboard, 'index.html')))) return notBuilt(reply, 'dashboard');
    const rel = (req.params as { '*': string })['*'];
    varyOnEncoding(reply).header('X-Content-Type-Options', 'nosniff');
    if (rel.startsWith('assets/') || /\.[a-z0-9]+$/i.test(rel)) {
      const file = path.resolve(dashboard, rel);
      if (!file.startsWith(dashboard + path.sep) || !(await exists(file)))
        throw new NotFoundError('file', rel);
      // content-hashed names under assets/: cache for good
      return rel.startsWith('assets/')
        ? reply.sendFile(rel, dashboard, { maxAge: '365d', immutable: true })
        : reply.sendFile(rel, dashboard, { maxAge: '1h' });
    }
    // any other path is a client-side route of the SPA
    return reply
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', DASHBOARD_CSP)
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Frame-Options', 'DENY')
      .sendFile('index.html', dashboard, { cacheControl: false });
  });

  app.get('/widget.js', { schema: hidden, exposeHeadRoute: true }, async (_req, reply) => {
    if (!(await exists(path.join(dist, 'widget.js')))) return notBuilt(reply, 'chat widget');
    // Any site may load it; the URL is not versioned, so caches revalidate after 5 minutes.
    return varyOnEncoding(reply)
      .header('Access-Control-Allow-Origin', '*')
      .header('Cross-Origin-Resource-Policy', 'cross-origin')
      .header('X-Content-Type-Options', 'nosniff')
      .sendFile('widget.js', dist, { maxAge: '5m' });
  });
};
