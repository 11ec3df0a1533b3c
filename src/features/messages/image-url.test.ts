import type { LanguageModelV3 } from '@ai-sdk/provider';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { files } from '../../platform/db/schema/index.js';
import { isPublicAddress } from '../../platform/net/public-fetch.js';
import { newSession, newWorld, type World } from '../../../test/factories.js';
import { PNG } from '../../../test/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { startHttpsServer, type TestHttpsServer } from '../../../test/https-server.js';
import { scriptedModel } from '../../../test/mock-model.js';

let site: TestHttpsServer;
let t: TestApp;
let strict: TestApp;
const mock = scriptedModel({ chunks: ['I see it'] });

beforeAll(async () => {
  const redirect = (to: string) => (res: import('node:http').ServerResponse) => {
    res.statusCode = 302;
    res.setHeader('location', to);
    res.end();
  };
  site = await startHttpsServer({
    '/cat.png': (res) => {
      res.setHeader('content-type', 'image/png');
      res.end(PNG);
    },
    '/notes.txt': (res) => res.end('just text'),
    '/hop1': redirect('/hop2'),
    '/hop2': redirect('/cat.png'),
    '/loop1': redirect('/loop2'),
    '/loop2': redirect('/loop3'),
    '/loop3': redirect('/loop4'),
    '/loop4': redirect('/cat.png'),
  });
  const providers = { mock: (): LanguageModelV3 => mock.model };
  // The test site is on loopback, so this app allows private networks and trusts the test CA.
  t = await createTestApp({
    providers,
    env: { PAPO_FETCH_ALLOW_PRIVATE_NETWORKS: 'true', PAPO_FETCH_CA_FILE: site.caFile },
  });
  strict = await createTestApp({ providers, env: { PAPO_FETCH_CA_FILE: site.caFile } });
});
afterAll(async () => {
  await t.close();
  await strict.close();
  await site.close();
});

const send = (app: TestApp, w: World, sid: string, content: unknown) =>
  app.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${sid}/messages`,
    headers: { 'x-api-key': w.key },
    payload: { content },
  });

describe('image URLs in content blocks', () => {
  it('are downloaded, sent to the model as image parts, kept as a conversation file and returned as sent', async () => {
    const w = await newWorld(t, { model: 'mock:x' });
    const sid = await newSession(t, w);
    const url = `${site.url}/cat.png`;
    const res = await send(t, w, sid, [
      { type: 'text', text: 'what is this?' },
      { type: 'image', url },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user_message.content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image', url },
    ]);
    const parts = mock.calls.at(-1)!.prompt.find((m) => m.role === 'user')!.content as Array<{
      type: string;
      mediaType?: string;
      data?: unknown;
    }>;
    expect(parts.map((p) => [p.type, p.mediaType])).toEqual([
      ['text', undefined],
      ['file', 'image/png'],
    ]);
    const stored = await t.db.db.select().from(files).where(eq(files.conversationId, sid));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      mimeType: 'image/png',
      name: 'cat.png',
      size: PNG.length,
      metadata: { source_url: url },
    });

    // the next turn still shows the model the image, from the stored copy, without downloading again
    const hits = site.hits.length;
    expect((await send(t, w, sid, 'and now?')).statusCode).toBe(200);
    expect(site.hits.length).toBe(hits);
    const history = mock.calls.at(-1)!.prompt.filter((m) => m.role === 'user');
    expect(JSON.stringify(history[0]!.content)).toContain('image/png');
  });

  it('follow up to 3 redirects and refuse more', async () => {
    const w = await newWorld(t, { model: 'mock:x' });
    const sid = await newSession(t, w);
    expect((await send(t, w, sid, [{ type: 'image', url: `${site.url}/hop1` }])).statusCode).toBe(200);
    const loop = await send(t, w, sid, [{ type: 'image', url: `${site.url}/loop1` }]);
    expect(loop.statusCode).toBe(422);
    expect(loop.json().error.context.issues[0]).toMatchObject({
      path: 'content[0].url',
      message: expect.stringContaining('redirects'),
    });
  });

  it('refuse non-images, missing files, http URLs and private addresses with 422, storing nothing', async () => {
    const w = await newWorld(t, { model: 'mock:x' });
    const sid = await newSession(t, w);
    for (const url of [`${site.url}/notes.txt`, `${site.url}/missing.png`, `http://example.com/a.png`]) {
      const res = await send(t, w, sid, [{ type: 'image', url }]);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error.code).toBe('validation_error');
    }
    const ws = await newWorld(strict, { model: 'mock:x' });
    const ssid = await newSession(strict, ws);
    for (const url of [
      `${site.url}/cat.png`,
      'https://localhost/cat.png',
      'https://[::1]/cat.png',
      'https://10.0.0.8/cat.png',
    ]) {
      const res = await send(strict, ws, ssid, [{ type: 'image', url }]);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error.context.issues[0].message, url).toContain('non-public');
    }
    const sessionFiles = await t.db.db.select().from(files).where(eq(files.conversationId, sid));
    expect(sessionFiles).toHaveLength(0);
  });

  it('reach the model in persist=false runs without storing anything', async () => {
    const w = await newWorld(t, { model: 'mock:x' });
    const before = (await t.db.db.select().from(files).where(eq(files.workspaceId, w.workspaceId))).length;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${w.agentId}/run`,
      headers: { 'x-api-key': w.key },
      payload: { persist: false, messages: [{ content: [{ type: 'image', url: `${site.url}/cat.png` }] }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.stringify(mock.calls.at(-1)!.prompt)).toContain('image/png');
    expect((await t.db.db.select().from(files).where(eq(files.workspaceId, w.workspaceId))).length).toBe(
      before,
    );
  });
});

describe('isPublicAddress', () => {
  it('accepts public unicast and refuses every private, local and special range', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])
      expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });
});
