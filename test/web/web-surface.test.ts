import Fastify from 'fastify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webSurface } from '../../src/surfaces/web/plugin.js';
import { createTestApp, type TestApp } from '../harness.js';
import { ensureWebBuilt } from './support.js';

// How the server hands out the dashboard and the widget (no browser needed).
let t: TestApp;
beforeAll(async () => {
  await ensureWebBuilt();
  t = await createTestApp();
}, 180_000);
afterAll(() => t.close());

describe('/widget.js', () => {
  it('is JavaScript any site may load, cached briefly', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/widget.js',
      headers: { origin: 'https://shop.example.com' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['vary']).toContain('Accept-Encoding');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['etag']).toBeTruthy();
    expect(res.body).toContain('PapoWidget');
    const head = await t.app.inject({ method: 'HEAD', url: '/widget.js' });
    expect(head.statusCode).toBe(200);
  });

  it('is sent pre-compressed (brotli or gzip from the build) when the browser accepts it', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/widget.js' });
    for (const encoding of ['br', 'gzip']) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/widget.js',
        headers: { 'accept-encoding': encoding },
      });
      expect(res.headers['content-encoding']).toBe(encoding);
      const body =
        encoding === 'br' ? zlib.brotliDecompressSync(res.rawPayload) : zlib.gunzipSync(res.rawPayload);
      expect(body.equals(plain.rawPayload)).toBe(true);
      // the size promise of the widget: well under 30 KB compressed
      expect(res.rawPayload.length).toBeLessThan(30 * 1024);
    }
  });
});

describe('/dashboard', () => {
  it('redirects the bare path to the SPA', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/dashboard' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/dashboard/');
  });

  it('answers client routes with index.html, uncached and locked down', async () => {
    for (const url of [
      '/dashboard/',
      '/dashboard/agents',
      '/dashboard/conversations/0190a1b2-0000-7000-8000-000000000001',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves hashed assets for a year and 404s unknown ones', async () => {
    const index = (await t.app.inject({ method: 'GET', url: '/dashboard/' })).body;
    const asset = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const res = await t.app.inject({ method: 'GET', url: asset });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await t.app.inject({ method: 'GET', url: '/dashboard/assets/nope-123.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('never serves files outside its folder', async () => {
    for (const url of [
      '/dashboard/..%2f..%2fpackage.json',
      '/dashboard/assets/..%2f..%2f..%2fpackage.json',
      '/dashboard/../package.json',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('"name": "papo"');
    }
  });

  it('keeps its routes out of the OpenAPI document', () => {
    const paths = Object.keys((t.app.swagger() as { paths: Record<string, unknown> }).paths);
    expect(paths.filter((p) => p.startsWith('/dashboard') || p === '/widget.js')).toEqual([]);
  });
});

describe('before the web build', () => {
  it('answers 503 with how to build, and does not crash', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-web-empty-'));
    const app = Fastify({ logger: false });
    await app.register(webSurface, { distDir: empty });
    try {
      for (const url of ['/widget.js', '/dashboard/', '/dashboard/agents']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(503);
        expect(res.body).toContain('npm run build');
      }
    } finally {
      await app.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
