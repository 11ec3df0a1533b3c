import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, files, messages } from '../../../src/platform/db/schema/index.js';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { newAgent, setAgentStatus } from '../../factories.js';
import { PNG } from '../../fixtures.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { startHttpsServer, type TestHttpsServer } from '../../https-server.js';
import { MISSING_ID } from '../../http.js';
import { mockRegistry } from '../../mock-model.js';
import {
  expectGenniaError,
  expectPublicConversation,
  expectPublicMessage,
  fields,
  g,
  genniaWorld,
  waitFor,
  type GenniaWorld,
  type Paged,
} from './gennia.js';

// gennia.md §3.1: POST /agents/{a}/messages (sync send).
let t: TestApp;
let strict: TestApp;
let site: TestHttpsServer;
const mocks = mockRegistry();
const echo = mocks.register('echo', {
  chunks: (o) => {
    const last = [...o.prompt].reverse().find((m) => m.role === 'user');
    const text = (last?.content as Array<{ type: string; text?: string }>).find(
      (p) => p.type === 'text',
    )?.text;
    return ['You said: ', text ?? '(nothing)'];
  },
  usage: { input: 12, output: 3 },
});
const slow = mocks.register('slow', { chunks: ['slow ', 'but ', 'sure'], delayMs: 500 });
const broken = mocks.register('broken', { fail: 'error', failAfter: 1, chunks: ['partial', 'never'] });

beforeAll(async () => {
  site = await startHttpsServer({
    '/report.pdf': (res) => res.end(Buffer.from('%PDF-1.4\n%fake pdf\n')),
    '/cat.png': (res) => res.end(PNG),
    '/blob.bin': (res) => res.end(Buffer.from([0, 1, 2, 3, 0, 255, 254])),
  });
  const providers = { mock: mocks.provider };
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

type SendResult = {
  conversation: Record<string, unknown>;
  durationMs: number;
  message: Record<string, unknown>;
};

const send = (w: GenniaWorld, body: unknown, agentId = w.agentId, app = t) =>
  g(app, 'POST', `/agents/${agentId}/messages`, w.key, body);

async function sendOk(w: GenniaWorld, body: unknown): Promise<SendResult> {
  const res = await send(w, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<SendResult>();
}

const conversationCount = async (w: GenniaWorld) =>
  (await g(t, 'GET', '/conversations', w.key)).json<Paged<unknown>>().total;

describe('§3.1 send: a new conversation', () => {
  it('the documented request starts a conversation and answers PublicMessageResponseDTO', async () => {
    const w = await genniaWorld(t, { model: echo });
    const body = await sendOk(w, { content: 'Olá, tudo bem?' });
    expect(Object.keys(body).sort()).toEqual(['conversation', 'durationMs', 'message']);
    expect(Number.isInteger(body.durationMs)).toBe(true);
    expect(body.durationMs).toBeGreaterThanOrEqual(0);
    expectPublicMessage(body.message, 'agent');
    expect(body.message).toMatchObject({
      content: 'You said: Olá, tudo bem?',
      model: echo,
      tokenUsage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
      costUsd: 0,
    });
    const c = body.conversation;
    expectPublicConversation(c);
    expect(c).toMatchObject({
      publicId: body.message['conversationPublicId'],
      agentPublicId: w.agentId,
      channel: 'api',
      isEnded: false,
      isTest: false,
      messageCount: 2,
      metadata: {},
    });
    expect(isUuidV7(c['externalUserId'] as string)).toBe(true);
    expect(c['lastMessageAt']).not.toBeNull();
  });

  it('isTest and metadata are stored when the conversation is created', async () => {
    const w = await genniaWorld(t, { model: echo });
    const body = await sendOk(w, {
      content: 'hi',
      externalUserId: 'crm-42',
      isTest: true,
      metadata: { source: 'site', plan: 'pro' },
    });
    expect(body.conversation).toMatchObject({
      externalUserId: 'crm-42',
      isTest: true,
      metadata: { source: 'site', plan: 'pro' },
    });
    const [row] = await t.db.db
      .select()
      .from(conversations)
      .where(eq(conversations.id, body.conversation['publicId'] as string));
    expect(row).toMatchObject({ isTest: true, channel: 'api', externalUserId: 'crm-42' });
  });
});

describe('§3.1 conversation resolution', () => {
  it('externalUserId reuses the newest active conversation of that user and agent', async () => {
    const w = await genniaWorld(t, { model: echo });
    const first = await sendOk(w, { content: 'one', externalUserId: 'user-a', metadata: { n: 1 } });
    const second = await sendOk(w, {
      content: 'two',
      externalUserId: 'user-a',
      isTest: true,
      metadata: { n: 2 },
    });
    expect(second.conversation['publicId']).toBe(first.conversation['publicId']);
    // isTest and metadata are only honoured on creation
    expect(second.conversation).toMatchObject({ isTest: false, metadata: { n: 1 }, messageCount: 4 });
    const other = await sendOk(w, { content: 'three', externalUserId: 'user-b' });
    expect(other.conversation['publicId']).not.toBe(first.conversation['publicId']);
    // another agent with the same external user gets its own conversation
    const agent2 = await newAgent(t, w.ws, { model: echo });
    const res = await send(w, { content: 'four', externalUserId: 'user-a' }, agent2);
    expect(res.json().conversation.publicId).not.toBe(first.conversation['publicId']);
  });

  it('concurrent first messages of one external user share one conversation', async () => {
    const w = await genniaWorld(t, { model: echo });
    const results = await Promise.all(
      [1, 2, 3].map((i) => sendOk(w, { content: `c${i}`, externalUserId: 'racer' })),
    );
    expect(new Set(results.map((r) => r.conversation['publicId'])).size).toBe(1);
    expect(await conversationCount(w)).toBe(1);
  });

  it('without externalUserId every send starts a new conversation', async () => {
    const w = await genniaWorld(t, { model: echo });
    const a = await sendOk(w, { content: 'a' });
    const b = await sendOk(w, { content: 'b' });
    expect(a.conversation['publicId']).not.toBe(b.conversation['publicId']);
    expect(a.conversation['externalUserId']).not.toBe(b.conversation['externalUserId']);
  });

  it('conversationId continues that conversation; concurrent sends to it are answered in order', async () => {
    const w = await genniaWorld(t, { model: echo });
    const first = await sendOk(w, { content: 'start' });
    const id = first.conversation['publicId'] as string;
    const results = await Promise.all(
      ['m1', 'm2', 'm3'].map((c) => sendOk(w, { content: c, conversationId: id })),
    );
    expect(results.map((r) => r.message['content'])).toEqual([
      'You said: m1',
      'You said: m2',
      'You said: m3',
    ]);
    const list = (await g(t, 'GET', `/conversations/${id}/messages`, w.key)).json<
      Paged<{ content: string }>
    >();
    expect(list.items.map((m) => m.content)).toEqual([
      'start',
      'You said: start',
      'm1',
      'You said: m1',
      'm2',
      'You said: m2',
      'm3',
      'You said: m3',
    ]);
  });

  it('an unknown conversation, or one of another agent → 404 CONVERSATION_NOT_FOUND', async () => {
    const w = await genniaWorld(t, { model: echo });
    const other = await newAgent(t, w.ws, { model: echo });
    const theirs = (await send(w, { content: 'x' }, other)).json().conversation.publicId as string;
    expectGenniaError(await send(w, { content: 'y', conversationId: theirs }), 404, 'CONVERSATION_NOT_FOUND');
    expectGenniaError(
      await send(w, { content: 'y', conversationId: MISSING_ID }),
      404,
      'CONVERSATION_NOT_FOUND',
    );
    expectGenniaError(await send(w, { content: 'y', conversationId: 'nope' }), 400, 'VALIDATION_ERROR');
  });

  it('a closed or expired conversation → 422 CONVERSATION_ENDED; the external user then gets a new one', async () => {
    const w = await genniaWorld(t, { model: echo, idle_ttl_seconds: 300 });
    const first = await sendOk(w, { content: 'hi', externalUserId: 'ender' });
    const id = first.conversation['publicId'] as string;
    const term = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${id}/terminate`,
      headers: { 'x-api-key': w.key },
    });
    expect(term.statusCode, term.body).toBe(200);
    expectGenniaError(await send(w, { content: 'again', conversationId: id }), 422, 'CONVERSATION_ENDED');
    const fresh = await sendOk(w, { content: 'again', externalUserId: 'ender' });
    expect(fresh.conversation['publicId']).not.toBe(id);

    t.clock.advance(301_000);
    expectGenniaError(
      await send(w, { content: 'late', conversationId: fresh.conversation['publicId'] }),
      422,
      'CONVERSATION_ENDED',
    );
    const got = (await g(t, 'GET', `/conversations/${fresh.conversation['publicId']}`, w.key)).json();
    expect(got.isEnded).toBe(true);
  });
});

describe('§3.1 agent state', () => {
  it('unknown → 404 AGENT_NOT_FOUND; never published → 422 AGENT_NOT_PUBLISHED; inactive/archived → 422 AGENT_NOT_ACTIVE', async () => {
    const w = await genniaWorld(t, { model: echo });
    expectGenniaError(await send(w, { content: 'x' }, MISSING_ID), 404, 'AGENT_NOT_FOUND');
    const draft = (await g(t, 'POST', '/agents', w.admin, { name: 'Unpublished' })).json().publicId as string;
    expectGenniaError(await send(w, { content: 'x' }, draft), 422, 'AGENT_NOT_PUBLISHED');
    await setAgentStatus(t, w.ws, w.agentId, 'inactive');
    expectGenniaError(await send(w, { content: 'x' }), 422, 'AGENT_NOT_ACTIVE');
    await setAgentStatus(t, w.ws, w.agentId, 'archived');
    expectGenniaError(await send(w, { content: 'x' }), 422, 'AGENT_NOT_ACTIVE');
    expect(await conversationCount(w)).toBe(0);
  });

  it('a deleted agent → 404 AGENT_NOT_FOUND, also for its existing conversations', async () => {
    const w = await genniaWorld(t, { model: echo });
    const id = (await sendOk(w, { content: 'x' })).conversation['publicId'] as string;
    expect((await g(t, 'DELETE', `/agents/${w.agentId}`, w.admin)).statusCode).toBe(204);
    expectGenniaError(await send(w, { content: 'y', conversationId: id }), 404, 'AGENT_NOT_FOUND');
    // the conversation stays readable
    expect((await g(t, 'GET', `/conversations/${id}`, w.key)).statusCode).toBe(200);
  });
});

describe('§3.1 timeouts and failures', () => {
  it('timeoutSeconds elapsed → 408 TIMEOUT with the conversation; the reply is stored later', async () => {
    const w = await genniaWorld(t, { model: slow });
    const res = await send(w, { content: 'take your time', timeoutSeconds: 1 });
    const body = expectGenniaError(res, 408, 'TIMEOUT');
    expect(body.details).toHaveLength(1);
    const id = (body.details[0] as { conversationPublicId: string }).conversationPublicId;
    expect(isUuidV7(id)).toBe(true);
    const reply = await waitFor(async () => {
      const list = (await g(t, 'GET', `/conversations/${id}/messages?role=agent`, w.key)).json<
        Paged<{ content: string }>
      >();
      return list.items[0];
    });
    expect(reply.content).toBe('slow but sure');
  });

  it('a provider failure → 502 UPSTREAM_ERROR without provider details; the failed reply is stored', async () => {
    const w = await genniaWorld(t, { model: broken });
    const res = await send(w, { content: 'boom', externalUserId: 'u' });
    const body = expectGenniaError(res, 502, 'UPSTREAM_ERROR');
    expect(res.body).not.toContain('secret-internal-detail');
    expect(body.details).toEqual([]);
    const list = (await g(t, 'GET', '/conversations?externalUserId=u', w.key)).json<
      Paged<{ publicId: string }>
    >();
    const rows = await t.db.db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, list.items[0]!.publicId));
    expect(rows.map((r) => [r.role, r.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'failed'],
    ]);
  });
});

describe('§3.1 attachments', () => {
  const pngB64 = PNG.toString('base64');

  it('base64 attachments become conversation files and image/file blocks the model sees', async () => {
    const w = await genniaWorld(t, { model: echo });
    const body = await sendOk(w, {
      content: 'what is in these?',
      attachments: [
        { base64: pngB64, filename: 'dir/photo.png', mediaType: 'image/png' },
        { base64: Buffer.from('a,b\n1,2\n').toString('base64'), filename: 'data', mediaType: 'text/csv' },
      ],
    });
    const id = body.conversation['publicId'] as string;
    const stored = await t.db.db.select().from(files).where(eq(files.conversationId, id));
    expect(stored.map((f) => [f.name, f.mimeType]).sort()).toEqual([
      ['data', 'text/csv'],
      ['photo.png', 'image/png'],
    ]);
    const [user] = await t.db.db.select().from(messages).where(eq(messages.conversationId, id));
    expect(user!.content.map((b) => b.type)).toEqual(['text', 'image', 'file']);
    const prompt = mocks.calls.get('echo')!.at(-1)!.prompt;
    const parts = prompt.find((m) => m.role === 'user')!.content as Array<{
      type: string;
      mediaType?: string;
      text?: string;
    }>;
    expect(parts.map((p) => p.mediaType ?? p.type)).toEqual(['text', 'image/png', 'text']);
    expect(parts[2]!.text).toBe('[file data]\na,b\n1,2\n');
    // the message read back is the text part
    const list = (await g(t, 'GET', `/conversations/${id}/messages`, w.key)).json<
      Paged<{ content: string }>
    >();
    expect(list.items[0]!.content).toBe('what is in these?');
  });

  it('content may be empty when there is an attachment; empty with none → 400', async () => {
    const w = await genniaWorld(t, { model: echo });
    const ok = await send(w, { content: '', attachments: [{ base64: pngB64 }] });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(fields(expectGenniaError(await send(w, { content: '' }), 400, 'VALIDATION_ERROR'))).toEqual([
      'content',
    ]);
    expect(fields(expectGenniaError(await send(w, {}), 400, 'VALIDATION_ERROR'))).toEqual(['content']);
  });

  it('URL attachments are downloaded over https (any accepted type) and kept with their source', async () => {
    const w = await genniaWorld(t, { model: echo });
    const url = `${site.url}/report.pdf`;
    const body = await sendOk(w, {
      content: 'summarise',
      attachments: [{ url }, { url: `${site.url}/cat.png` }],
    });
    const stored = await t.db.db
      .select()
      .from(files)
      .where(eq(files.conversationId, body.conversation['publicId'] as string));
    expect(stored.map((f) => [f.name, f.mimeType, f.metadata]).sort()).toEqual([
      ['cat.png', 'image/png', { source_url: `${site.url}/cat.png` }],
      ['report.pdf', 'application/pdf', { source_url: url }],
    ]);
  });

  it('refused attachments change nothing: shape → 400, type → 400, fetch → 422, size → 422', async () => {
    const w = await genniaWorld(t, { model: echo });
    const cases: Array<[unknown, number, string]> = [
      [{ content: 'x', attachments: [{ filename: 'none.png' }] }, 400, 'VALIDATION_ERROR'],
      [
        { content: 'x', attachments: [{ base64: pngB64, url: `${site.url}/cat.png` }] },
        400,
        'VALIDATION_ERROR',
      ],
      [{ content: 'x', attachments: [{ base64: '***not base64***' }] }, 400, 'VALIDATION_ERROR'],
      [{ content: 'x', attachments: [{ url: 'http://example.com/a.png' }] }, 400, 'VALIDATION_ERROR'],
      [
        { content: 'x', attachments: Array.from({ length: 11 }, () => ({ base64: pngB64 })) },
        400,
        'VALIDATION_ERROR',
      ],
      [{ content: 'x', attachments: [{ base64: '' }] }, 400, 'VALIDATION_ERROR'],
      [
        { content: 'x', attachments: [{ base64: Buffer.from([0, 1, 2, 255]).toString('base64') }] },
        400,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [{ content: 'x', attachments: [{ url: `${site.url}/blob.bin` }] }, 400, 'UNSUPPORTED_MEDIA_TYPE'],
      [{ content: 'x', attachments: [{ url: `${site.url}/missing.png` }] }, 422, 'ATTACHMENT_FETCH_FAILED'],
    ];
    for (const [body, status, code] of cases) expectGenniaError(await send(w, body), status, code);
    expect(await conversationCount(w)).toBe(0);
    const all = await t.db.db.select().from(files).where(eq(files.workspaceId, w.ws));
    expect(all).toHaveLength(0);
  });

  it('an attachment over 25 MiB → 422 ATTACHMENT_TOO_LARGE', async () => {
    const w = await genniaWorld(t, { model: echo });
    const big = Buffer.alloc(26_214_401, 'a').toString('base64');
    expectGenniaError(
      await send(w, { content: 'x', attachments: [{ base64: big }] }),
      422,
      'ATTACHMENT_TOO_LARGE',
    );
    expect(await conversationCount(w)).toBe(0);
  });

  it('URLs resolving to private addresses are refused (SSRF) → 422 ATTACHMENT_FETCH_FAILED', async () => {
    const w = await genniaWorld(strict, { model: echo });
    for (const url of [
      `${site.url}/cat.png`,
      'https://localhost/a.png',
      'https://10.0.0.8/a.png',
      'https://[::1]/a.png',
    ]) {
      const res = await send(w, { content: 'x', attachments: [{ url }] }, w.agentId, strict);
      const body = expectGenniaError(res, 422, 'ATTACHMENT_FETCH_FAILED');
      expect(body.message).toContain('non-public');
    }
  });
});
