import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { and, count, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorld, setAgentStatus, type World } from '../../../test/factories.js';
import { expectErrorEnvelope, type ErrorBody, type Headers } from '../../../test/http.js';
import { createTestApp, type TestApp } from '../../../test/harness.js';
import { mockRegistry } from '../../../test/mock-model.js';
import { multipartBody } from '../../../test/multipart.js';
import {
  conversations as conversationsTable,
  messages as messagesTable,
  usageRecords,
} from '../../platform/db/schema/index.js';
import { isUuidV7, newId } from '../../platform/ids.js';
import type { Message } from '../messages/messages.mapper.js';
import type { Session } from '../sessions/sessions.service.js';
import type { RunResult } from './runs.service.js';

const TIMEOUT_S = 10;

let t: TestApp;
const mocks = mockRegistry();
const { calls, register } = mocks;

/** The text of the last user turn the model was given. */
function lastUserText(options: LanguageModelV3CallOptions): string {
  const last = [...options.prompt].reverse().find((m) => m.role === 'user');
  if (!last || last.role !== 'user') return '';
  return last.content.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join(' ');
}

const ECHO = register('echo', {
  chunks: (o) => ['echo: ', lastUserText(o)],
  usage: { input: 12, output: 3 },
});
const FAIL = register('fail', { chunks: ['partial ', 'more'], fail: 'error', failAfter: 1 });
const HANG = register('hang', { chunks: ['thinking'], fail: 'hang' });

let w: World;
let failAgent: string;
let hw: World;
/** A persisted run on a hanging model, started first so its 10 s timeout overlaps the other tests. */
let hangingRun: Promise<LightMyRequestResponse>;
const HANG_KEY = 'hang-run-1';
const hangBody = { messages: [{ content: 'please answer slowly' }] };

beforeAll(async () => {
  t = await createTestApp({
    env: { PAPO_MODEL_TIMEOUT_SECONDS: String(TIMEOUT_S) },
    providers: { mock: mocks.provider },
  });
  hw = await newWorld(t, { model: HANG });
  hangingRun = run(hw.agentId, hangBody, hw.key, { 'idempotency-key': HANG_KEY });
  w = await newWorld(t, { model: ECHO, instructions: 'You are Echo.' });
  failAgent = await newAgent(t, w.workspaceId, { model: FAIL });
});
afterAll(async () => {
  await hangingRun?.catch(() => undefined);
  await t?.close();
});

function run(agentId: string, body: unknown, key: string | null = w.key, headers: Headers = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/v1/agents/${agentId}/run`,
    headers: { ...(key !== null && { 'x-api-key': key }), ...headers },
    payload: body as Record<string, unknown>,
  });
}

async function runOk(agentId: string, body: unknown, headers: Headers = {}): Promise<RunResult> {
  const res = await run(agentId, body, w.key, headers);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<RunResult>();
}

function get(url: string, key = w.key) {
  return t.app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
}

async function sessionMessages(sessionId: string): Promise<Message[]> {
  const res = await get(`/v1/agents/sessions/${sessionId}/messages?roles=user,assistant&limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Message[] }>().items;
}

/** Rows of the workspace: what a run may store (the hanging run lives in another workspace). */
async function rowCounts(workspaceId = w.workspaceId) {
  const db = t.db.db;
  const [m] = await db
    .select({ n: count() })
    .from(messagesTable)
    .where(eq(messagesTable.workspaceId, workspaceId));
  const [c] = await db
    .select({ n: count() })
    .from(conversationsTable)
    .where(eq(conversationsTable.workspaceId, workspaceId));
  const [u] = await db
    .select({ n: count() })
    .from(usageRecords)
    .where(eq(usageRecords.workspaceId, workspaceId));
  return { messages: Number(m!.n), conversations: Number(c!.n), usage: Number(u!.n) };
}

const callCount = (model: string) => calls.get(model.slice('mock:'.length))!.length;

/**
 * Checks the §4.1 envelope and that nothing internal (stack, provider detail) leaks. The request id
 * is not matched to X-Request-Id: an idempotent replay carries the first request's.
 */
function expectError(res: LightMyRequestResponse, status: number, code: string): ErrorBody['error'] {
  const body = expectErrorEnvelope(res, status, code);
  expect(res.body).not.toMatch(
    /stack|node_modules|\.ts:\d+|\.js:\d+|secret-internal-detail|exploded|drizzle/i,
  );
  return body.error;
}

async function uploadText(key: string, name: string, text: string): Promise<string> {
  const { payload, headers } = multipartBody([{ name: 'file', filename: name, data: text }]);
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/agents/files',
    payload,
    headers: { ...headers, 'x-api-key': key },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

describe('A17 persist: true', () => {
  let first: RunResult;
  let userId: string;

  it('creates a session holding every input message in order plus the reply', async () => {
    const user = await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key },
      payload: { reference: 'crm-ana', name: 'Ana', info: { plan: 'gold' } },
    });
    userId = user.json<{ id: string }>().id;
    const before = callCount(ECHO);
    first = await runOk(w.agentId, {
      messages: [
        { content: 'Hi, I am Ana', metadata: { n: 1 } },
        { role: 'assistant', content: 'Hello Ana!' },
        { content: [{ type: 'text', text: 'What is my name?' }], metadata: { n: 3 } },
      ],
      user: { reference: 'crm-ana' },
      context: { page: '/pricing' },
      metadata: { source: 'zapier' },
    });
    expect(Object.keys(first).sort()).toEqual(['agent_message', 'session_id']);
    expect(isUuidV7(first.session_id!)).toBe(true);
    expect(first.agent_message).toEqual({
      id: expect.any(String),
      role: 'assistant',
      content: [{ type: 'text', text: 'echo: What is my name?' }],
      created_at: expect.any(String),
      metadata: {},
      status: 'completed',
      usage: { input_tokens: 12, output_tokens: 3, cached_tokens: 0, total_tokens: 15 },
      model: ECHO,
      cost_usd: null,
    });
    expect(isUuidV7(first.agent_message.id)).toBe(true);

    const stored = await sessionMessages(first.session_id!);
    expect(stored.map((m) => [m.role, m.content, m.metadata, m.status])).toEqual([
      ['user', [{ type: 'text', text: 'Hi, I am Ana' }], { n: 1 }, 'completed'],
      ['assistant', [{ type: 'text', text: 'Hello Ana!' }], {}, 'completed'],
      ['user', [{ type: 'text', text: 'What is my name?' }], { n: 3 }, 'completed'],
      ['assistant', [{ type: 'text', text: 'echo: What is my name?' }], {}, 'completed'],
    ]);
    expect(stored[3]).toEqual(first.agent_message);
    expect(stored[0]!.usage).toBeNull();
    expect(stored[1]!.usage).toBeNull();
    expect(stored[1]!.model).toBeNull();

    // one generation, after the last input message, with context and user info in the system prompt
    expect(callCount(ECHO)).toBe(before + 1);
    const prompt = calls.get('echo')!.at(-1)!.prompt;
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    const system = prompt[0]!.content as string;
    expect(system).toContain('You are Echo.');
    expect(system).toContain('<context>');
    expect(system).toContain('/pricing');
    expect(system).toContain('<user_info>');
    expect(system).toContain('gold');
  });

  it('leaves an active api session with the metadata, context and user', async () => {
    const res = await get(`/v1/agents/sessions/${first.session_id}`);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json<Session>();
    expect(s).toMatchObject({
      id: first.session_id,
      agent_id: w.agentId,
      status: 'active',
      messages_count: 4,
      last_message_at: first.agent_message.created_at,
      closed_at: null,
      context: { page: '/pricing' },
      metadata: { source: 'zapier' },
      user: { id: userId, reference: 'crm-ana' },
    });
    const [row] = await t.db.db
      .select()
      .from(conversationsTable)
      .where(eq(conversationsTable.id, first.session_id!));
    expect(row).toMatchObject({
      channel: 'api',
      kind: 'session',
      externalUserId: 'crm-ana',
      title: 'Hi, I am Ana',
    });
  });

  it('records usage for the persisted reply', async () => {
    const rows = await t.db.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.messageId, first.agent_message.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      workspaceId: w.workspaceId,
      agentId: w.agentId,
      conversationId: first.session_id,
      inputTokens: 12,
      outputTokens: 3,
    });
  });

  it('can be continued with A10, the model seeing the whole history', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/sessions/${first.session_id}/messages`,
      headers: { 'x-api-key': w.key },
      payload: { content: 'And again?' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ agent_message: Message }>().agent_message.content).toEqual([
      { type: 'text', text: 'echo: And again?' },
    ]);
    const prompt = calls.get('echo')!.at(-1)!.prompt;
    expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(prompt[0]!.content as string).toContain('/pricing');
    expect(await sessionMessages(first.session_id!)).toHaveLength(6);
  });

  it('defaults persist to true and is served under the /v1/agent alias', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/agent/${w.agentId}/run`,
      headers: { 'x-api-key': w.key },
      payload: { messages: [{ content: 'alias' }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<RunResult>();
    expect(body.session_id).not.toBeNull();
    expect((await sessionMessages(body.session_id!)).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('stores a pool file block as sent and gives its text to the model', async () => {
    const fileId = await uploadText(w.key, 'notes.txt', 'the secret word is papaya');
    const body = await runOk(w.agentId, {
      messages: [
        {
          content: [
            { type: 'text', text: 'Read this' },
            { type: 'file', file_id: fileId },
          ],
        },
      ],
    });
    const stored = await sessionMessages(body.session_id!);
    expect(stored[0]!.content).toEqual([
      { type: 'text', text: 'Read this' },
      { type: 'file', file_id: fileId },
    ]);
    expect(JSON.stringify(calls.get('echo')!.at(-1)!.prompt)).toContain('papaya');
  });
});

describe('A17 persist: false', () => {
  it('stores no session and no message, but records usage', async () => {
    const before = await rowCounts();
    const body = await runOk(w.agentId, {
      messages: [
        { content: 'one', metadata: { a: 1 } },
        { role: 'assistant', content: 'two' },
        { content: 'three' },
      ],
      context: { x: 1 },
      metadata: { y: 2 },
      persist: false,
    });
    expect(body.session_id).toBeNull();
    expect(body.agent_message).toEqual({
      id: expect.any(String),
      role: 'assistant',
      content: [{ type: 'text', text: 'echo: three' }],
      created_at: expect.any(String),
      metadata: {},
      status: 'completed',
      usage: { input_tokens: 12, output_tokens: 3, cached_tokens: 0, total_tokens: 15 },
      model: ECHO,
      cost_usd: null,
    });
    expect(isUuidV7(body.agent_message.id)).toBe(true);
    const after = await rowCounts();
    expect(after).toEqual({ ...before, usage: before.usage + 1 });

    // the returned id resolves to nothing, anywhere
    const id = body.agent_message.id;
    expect(await t.db.db.select().from(messagesTable).where(eq(messagesTable.id, id))).toEqual([]);
    expect(await t.db.db.select().from(conversationsTable).where(eq(conversationsTable.id, id))).toEqual([]);
    expectError(await get(`/v1/agents/sessions/${id}`), 404, 'not_found');
    expectError(await get(`/v1/agents/sessions/${id}/messages/${id}`), 404, 'not_found');

    const [usage] = await t.db.db
      .select()
      .from(usageRecords)
      .where(and(eq(usageRecords.workspaceId, w.workspaceId), eq(usageRecords.agentId, w.agentId)))
      .orderBy(usageRecords.id)
      .then((rows) => rows.slice(-1));
    expect(usage).toMatchObject({
      conversationId: null,
      messageId: null,
      inputTokens: 12,
      outputTokens: 3,
      model: ECHO,
    });
  });

  it('binds nothing even with a user, and stores no file-bearing message', async () => {
    const fileId = await uploadText(w.key, 'x.txt', 'ephemeral');
    await t.app.inject({
      method: 'POST',
      url: '/v1/agents/users',
      headers: { 'x-api-key': w.key },
      payload: { reference: 'crm-ephemeral' },
    });
    const before = await rowCounts();
    const body = await runOk(w.agentId, {
      messages: [
        {
          content: [
            { type: 'file', file_id: fileId },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
      user: { reference: 'crm-ephemeral' },
      persist: false,
    });
    expect(body.session_id).toBeNull();
    expect(JSON.stringify(calls.get('echo')!.at(-1)!.prompt)).toContain('ephemeral');
    expect(await rowCounts()).toEqual({ ...before, usage: before.usage + 1 });
  });
});

describe('A17 validation', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ content: `m${i}` }));

  async function expectNothingStored(res: Promise<LightMyRequestResponse>, status: number, code: string) {
    const before = await rowCounts();
    const calledBefore = callCount(ECHO);
    const error = expectError(await res, status, code);
    expect(await rowCounts()).toEqual(before);
    expect(callCount(ECHO)).toBe(calledBefore);
    return error;
  }

  it('answers 422 when the last message is not a user message', async () => {
    const error = await expectNothingStored(
      run(w.agentId, { messages: [{ content: 'q' }, { role: 'assistant', content: 'a' }] }),
      422,
      'validation_error',
    );
    expect(error.context['issues']).toEqual([
      { location: 'body', path: 'messages[1].role', message: expect.any(String) },
    ]);
  });

  it.each([
    ['no messages', { messages: [] }, 'messages'],
    ['11 messages', { messages: many(11) }, 'messages'],
    ['an empty content', { messages: [{ content: '' }] }, 'messages[0].content'],
    ['role system', { messages: [{ content: 'x', role: 'system' }] }, 'messages[0].role'],
    ['persist as a string', { messages: [{ content: 'x' }], persist: 'false' }, 'persist'],
    ['messages not an array', { messages: 'hello' }, 'messages'],
    [
      'context over 16 KiB',
      { messages: [{ content: 'x' }], context: { a: 'x'.repeat(16 * 1024) } },
      'context',
    ],
    [
      'metadata over 16 KiB',
      { messages: [{ content: 'x' }], metadata: { a: 'x'.repeat(16 * 1024) } },
      'metadata',
    ],
    [
      'message metadata over 16 KiB',
      { messages: [{ content: 'x', metadata: { a: 'x'.repeat(16 * 1024) } }] },
      'messages[0].metadata',
    ],
    [
      'an image block with neither file_id nor url',
      { messages: [{ content: [{ type: 'image' }] }] },
      'messages[0].content[0]',
    ],
    ['user with neither id nor reference', { messages: [{ content: 'x' }], user: {} }, 'user'],
  ])('answers 422 validation_error for %s', async (_label, body, path) => {
    const error = await expectNothingStored(run(w.agentId, body), 422, 'validation_error');
    expect(error.context['issues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ location: 'body', path })]),
    );
  });

  it('accepts exactly 10 messages', async () => {
    const body = await runOk(w.agentId, { messages: many(10), persist: false });
    expect(body.agent_message.content).toEqual([{ type: 'text', text: 'echo: m9' }]);
    expect(
      calls
        .get('echo')!
        .at(-1)!
        .prompt.filter((m) => m.role === 'user'),
    ).toHaveLength(10);
  });

  it('answers 400 invalid_request without messages, without a body or with a body that is not JSON', async () => {
    await expectNothingStored(run(w.agentId, { persist: false }), 400, 'invalid_request');
    await expectNothingStored(
      t.app.inject({ method: 'POST', url: `/v1/agents/${w.agentId}/run`, headers: { 'x-api-key': w.key } }),
      400,
      'invalid_request',
    );
    await expectNothingStored(
      t.app.inject({
        method: 'POST',
        url: `/v1/agents/${w.agentId}/run`,
        headers: { 'x-api-key': w.key, 'content-type': 'application/json' },
        payload: '{"messages": [',
      }),
      400,
      'invalid_request',
    );
  });

  it('answers 422 file_not_found for a missing, malformed, deleted or foreign file', async () => {
    const other = await newWorld(t);
    const foreign = await uploadText(other.key, 'f.txt', 'foreign');
    const deleted = await uploadText(w.key, 'd.txt', 'deleted');
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/agents/files/${deleted}`,
      headers: { 'x-api-key': w.key },
    });
    expect(del.statusCode).toBe(204);
    for (const fileId of [newId(), 'not-a-file-id', deleted, foreign]) {
      for (const persist of [true, false]) {
        const error = await expectNothingStored(
          run(w.agentId, {
            messages: [{ content: 'earlier' }, { content: [{ type: 'file', file_id: fileId }] }],
            persist,
          }),
          422,
          'file_not_found',
        );
        expect(error.context).toEqual({ file_id: fileId });
      }
    }
  });

  it('answers 422 user_not_found for an unknown user and creates no session', async () => {
    const error = await expectNothingStored(
      run(w.agentId, { messages: [{ content: 'x' }], user: { reference: 'nobody' } }),
      422,
      'user_not_found',
    );
    expect(error.context).toEqual({ reference: 'nobody' });
  });
});

describe('A17 access', () => {
  const body = { messages: [{ content: 'hi' }] };

  it('answers 404 alike for an unknown agent, a malformed id and another workspace’s agent', async () => {
    const other = await newWorld(t, { model: ECHO });
    for (const id of [newId(), 'not-an-id', other.agentId]) {
      expect(expectError(await run(id, body), 404, 'not_found').context).toEqual({ resource: 'agent', id });
    }
  });

  it('answers 409 agent_unavailable for an inactive agent', async () => {
    const agentId = await newAgent(t, w.workspaceId, { model: ECHO });
    await setAgentStatus(t, w.workspaceId, agentId, 'inactive');
    const before = await rowCounts();
    const error = expectError(await run(agentId, body), 409, 'agent_unavailable');
    expect(error.context).toEqual({ agent_id: agentId, status: 'inactive' });
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 403 agent_not_allowed to an allow-listed key, before looking at the body', async () => {
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [failAgent] });
    expect(expectError(await run(w.agentId, body, key), 403, 'agent_not_allowed').context).toEqual({
      agent_id: w.agentId,
    });
    expectError(await run(w.agentId, { messages: [] }, key), 403, 'agent_not_allowed');
    expectError(await run(failAgent, { messages: [] }, key), 422, 'validation_error');
  });

  it('answers 403 insufficient_scope to a public key and 401 without a key', async () => {
    const { key } = await newKey(t, w.workspaceId, { type: 'public' });
    expectError(await run(w.agentId, body, key), 403, 'insufficient_scope');
    expectError(await run(w.agentId, body, null), 401, 'missing_api_key');
    expectError(await run(w.agentId, body, 'papo_sk_wrong'), 401, 'invalid_api_key');
  });
});

describe('A17 Idempotency-Key', () => {
  const body = { messages: [{ content: 'idem' }], metadata: { k: 1 } };

  it('replays the stored response for the same key and body, without a second generation', async () => {
    const headers = { 'idempotency-key': 'run-key-1' };
    const firstRes = await run(w.agentId, body, w.key, headers);
    expect(firstRes.statusCode, firstRes.body).toBe(200);
    expect(firstRes.headers['idempotency-replayed']).toBeUndefined();
    const before = await rowCounts();
    const called = callCount(ECHO);

    // key order and whitespace do not change the fingerprint
    const again = await run(
      w.agentId,
      { metadata: { k: 1 }, messages: [{ content: 'idem' }] },
      w.key,
      headers,
    );
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json()).toEqual(firstRes.json());
    expect(callCount(ECHO)).toBe(called);
    expect(await rowCounts()).toEqual(before);
    expect(await sessionMessages(firstRes.json<RunResult>().session_id!)).toHaveLength(2);
  });

  it('answers 409 idempotency_key_reused for the same key with another body', async () => {
    const headers = { 'idempotency-key': 'run-key-2' };
    expect((await run(w.agentId, body, w.key, headers)).statusCode).toBe(200);
    const before = await rowCounts();
    const error = expectError(
      await run(w.agentId, { ...body, persist: false }, w.key, headers),
      409,
      'idempotency_key_reused',
    );
    expect(error.context).toEqual({ idempotency_key: 'run-key-2' });
    expect(await rowCounts()).toEqual(before);
  });

  it('scopes keys per agent: the same key runs again on another agent', async () => {
    const second = await newAgent(t, w.workspaceId, { model: ECHO });
    const headers = { 'idempotency-key': 'run-key-3' };
    const a = await run(w.agentId, body, w.key, headers);
    const b = await run(second, body, w.key, headers);
    expect(b.statusCode, b.body).toBe(200);
    expect(b.headers['idempotency-replayed']).toBeUndefined();
    expect(b.json<RunResult>().session_id).not.toBe(a.json<RunResult>().session_id);
  });

  it('never replays a stored run to a key whose allow-list excludes the agent', async () => {
    const headers = { 'idempotency-key': 'run-key-allow-list' };
    expect((await run(w.agentId, body, w.key, headers)).statusCode).toBe(200);
    const { key } = await newKey(t, w.workspaceId, { type: 'secret', agent_ids: [failAgent] });
    const res = await run(w.agentId, body, key, headers);
    expectError(res, 403, 'agent_not_allowed');
    expect(res.headers['idempotency-replayed']).toBeUndefined();
  });

  it('keeps the record for persist: false runs', async () => {
    const headers = { 'idempotency-key': 'run-key-ephemeral' };
    const ephemeral = { messages: [{ content: 'no trace' }], persist: false };
    const a = await run(w.agentId, ephemeral, w.key, headers);
    expect(a.statusCode, a.body).toBe(200);
    const called = callCount(ECHO);
    const b = await run(w.agentId, ephemeral, w.key, headers);
    expect(b.headers['idempotency-replayed']).toBe('true');
    expect(b.json()).toEqual(a.json());
    expect(callCount(ECHO)).toBe(called);
  });

  it.each([
    ['contains a space', 'my key'],
    ['is 256 characters long', 'k'.repeat(256)],
    ['contains a control character', 'a\u007fb'],
  ])('answers 400 invalid_request when the key %s', async (_label, key) => {
    const before = await rowCounts();
    const error = expectError(
      await run(w.agentId, body, w.key, { 'idempotency-key': key }),
      400,
      'invalid_request',
    );
    expect(error.context['issues']).toEqual([
      expect.objectContaining({ location: 'header', path: 'Idempotency-Key' }),
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('accepts a 255-character key of printable ASCII', async () => {
    const key = '!~'.repeat(127) + 'k';
    expect(key).toHaveLength(255);
    const res = await run(w.agentId, { ...body, persist: false }, w.key, { 'idempotency-key': key });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('does not consume the key on a 4xx: a retry after fixing the body runs', async () => {
    const headers = { 'idempotency-key': 'run-key-fixed' };
    const bad = { messages: [{ content: 'q' }, { role: 'assistant', content: 'a' }] };
    expectError(await run(w.agentId, bad, w.key, headers), 422, 'validation_error');
    const good = { messages: [{ content: 'q' }] };
    const ok = await run(w.agentId, good, w.key, headers);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers['idempotency-replayed']).toBeUndefined();
    const replay = await run(w.agentId, good, w.key, headers);
    expect(replay.headers['idempotency-replayed']).toBe('true');
  });

  it('does not consume the key on a 409 state conflict: the same request runs once the agent is active', async () => {
    const agentId = await newAgent(t, w.workspaceId, { model: ECHO });
    await setAgentStatus(t, w.workspaceId, agentId, 'inactive');
    const headers = { 'idempotency-key': 'run-key-state' };
    expectError(await run(agentId, body, w.key, headers), 409, 'agent_unavailable');
    await setAgentStatus(t, w.workspaceId, agentId, 'active');
    const ok = await run(agentId, body, w.key, headers);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers['idempotency-replayed']).toBeUndefined();
  });

  it('stores a 502 and replays it without calling the model again', async () => {
    const headers = { 'idempotency-key': 'run-key-502' };
    const failing = { messages: [{ content: 'boom' }] };
    const a = await run(failAgent, failing, w.key, headers);
    const errA = expectError(a, 502, 'model_error');
    const called = callCount(FAIL);
    const before = await rowCounts();
    const b = await run(failAgent, failing, w.key, headers);
    const errB = expectError(b, 502, 'model_error');
    expect(b.headers['idempotency-replayed']).toBe('true');
    expect(errB).toEqual(errA);
    expect(callCount(FAIL)).toBe(called);
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 409 idempotency_request_in_progress while the first request runs', async () => {
    // the hanging run started in beforeAll holds HANG_KEY until the model timeout
    while (calls.get('hang')!.length === 0) await new Promise((r) => setTimeout(r, 10));
    const res = await run(hw.agentId, hangBody, hw.key, { 'idempotency-key': HANG_KEY });
    expect(expectError(res, 409, 'idempotency_request_in_progress').context).toEqual({
      idempotency_key: HANG_KEY,
    });
    expect(calls.get('hang')!.length).toBe(1);
  });
});

describe('A17 model failures', () => {
  it('answers 502 model_error naming the stored failed message (persist: true)', async () => {
    const before = await rowCounts();
    const res = await run(failAgent, { messages: [{ content: 'first' }, { content: 'fail please' }] });
    const error = expectError(res, 502, 'model_error');
    expect(Object.keys(error.context)).toEqual(['message_id']);
    const messageId = error.context['message_id'] as string;
    const [row] = await t.db.db.select().from(messagesTable).where(eq(messagesTable.id, messageId));
    expect(row).toMatchObject({ role: 'assistant', status: 'failed', workspaceId: w.workspaceId });
    const sessionId = row!.conversationId;

    const msg = await get(`/v1/agents/sessions/${sessionId}/messages/${messageId}`);
    expect(msg.statusCode, msg.body).toBe(200);
    expect(msg.json<Message>()).toMatchObject({
      id: messageId,
      role: 'assistant',
      status: 'failed',
      content: [{ type: 'text', text: 'partial ' }],
      usage: null,
      model: FAIL,
    });
    expect(msg.body).not.toContain('secret-internal-detail');
    expect((await sessionMessages(sessionId)).map((m) => [m.role, m.status])).toEqual([
      ['user', 'completed'],
      ['user', 'completed'],
      ['assistant', 'failed'],
    ]);
    const session = await get(`/v1/agents/sessions/${sessionId}`);
    expect(session.json<Session>()).toMatchObject({ status: 'active', messages_count: 3 });
    // no usage for a failed generation
    expect(await rowCounts()).toEqual({
      messages: before.messages + 3,
      conversations: before.conversations + 1,
      usage: before.usage,
    });
  });

  it('answers 502 model_error without message_id and stores nothing (persist: false)', async () => {
    const before = await rowCounts();
    const error = expectError(
      await run(failAgent, { messages: [{ content: 'fail please' }], persist: false }),
      502,
      'model_error',
    );
    expect(error.context).toEqual({});
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 504 model_timeout naming the stored failed message, and replays it', async () => {
    const res = await hangingRun;
    const error = expectError(res, 504, 'model_timeout');
    expect(error.context).toEqual({ timeout_s: TIMEOUT_S, message_id: expect.any(String) });
    const [row] = await t.db.db
      .select()
      .from(messagesTable)
      .where(eq(messagesTable.id, error.context['message_id'] as string));
    expect(row).toMatchObject({ role: 'assistant', status: 'failed', workspaceId: hw.workspaceId });
    expect(row!.content).toEqual([{ type: 'text', text: 'thinking' }]);

    const replay = await run(hw.agentId, hangBody, hw.key, { 'idempotency-key': HANG_KEY });
    expect(expectError(replay, 504, 'model_timeout')).toEqual(error);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(calls.get('hang')).toHaveLength(1);
  }, 20_000);
});
