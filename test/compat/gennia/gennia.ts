import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { newAgent, newKey, newWorkspace } from '../../factories.js';
import type { TestApp } from '../../harness.js';
import { ISO_MS } from '../../http.js';
import { isUuidV7 } from '../../../src/platform/ids.js';

/** Gennia paths under Papo (gennia.md: `/compat/gennia` + `/public/api/v1`). */
export const G = '/compat/gennia/public/api/v1';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export interface GenniaWorld {
  ws: string;
  /** Secret key with agent:run. */
  key: string;
  keyId: string;
  /** Secret key with admin. */
  admin: string;
  /** An active agent published through the management API. */
  agentId: string;
}

export async function genniaWorld(t: TestApp, agent: Record<string, unknown> = {}): Promise<GenniaWorld> {
  const ws = await newWorkspace(t);
  const agentId = await newAgent(t, ws, agent);
  const run = await newKey(t, ws);
  const admin = await newKey(t, ws, { type: 'secret', name: 'admin', scopes: ['admin'] });
  return { ws, key: run.key, keyId: run.id, admin: admin.key, agentId };
}

/** One Gennia request with `X-Api-Key` (or no key when `key` is undefined). */
export function g(
  t: TestApp,
  method: Method,
  path: string,
  key: string | undefined,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method,
    url: `${G}${path}`,
    headers: { ...(key !== undefined && { 'x-api-key': key }), ...headers },
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
}

export interface GenniaErrorBody {
  code: string;
  message: string;
  details: unknown[];
}

/** gennia.md §1.2: exactly `{code, message, details}`, JSON, with an X-Request-Id. */
export function expectGenniaError(
  res: LightMyRequestResponse,
  status: number,
  code: string,
): GenniaErrorBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
  const body = res.json<GenniaErrorBody>();
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(Array.isArray(body.details)).toBe(true);
  return body;
}

/** The `field`s of a VALIDATION_ERROR's details. */
export const fields = (b: GenniaErrorBody) =>
  (b.details as Array<{ field: string | null }>).map((d) => d.field);

export const PUBLIC_MESSAGE_FIELDS = [
  'content',
  'conversationPublicId',
  'costOps',
  'costUsd',
  'model',
  'publicId',
  'role',
  'sentAt',
  'tokenUsage',
];

export const CONVERSATION_FIELDS = [
  'agentPublicId',
  'channel',
  'externalUserId',
  'isEnded',
  'isPaused',
  'isTest',
  'lastMessageAt',
  'messageCount',
  'metadata',
  'publicId',
  'startedAt',
];

/** Every PublicMessageDTO field with its type (gennia.md §3.7). */
export function expectPublicMessage(m: Record<string, unknown>, role: 'user' | 'agent'): void {
  expect(Object.keys(m).sort()).toEqual(PUBLIC_MESSAGE_FIELDS);
  expect(isUuidV7(m['publicId'] as string)).toBe(true);
  expect(isUuidV7(m['conversationPublicId'] as string)).toBe(true);
  expect(m['role']).toBe(role);
  expect(typeof m['content']).toBe('string');
  expect(m['sentAt']).toMatch(ISO_MS);
  expect(m['costOps']).toBe(0);
  expect(typeof m['costUsd']).toBe('number');
  if (role === 'user') {
    expect(m['model']).toBeNull();
    expect(m['tokenUsage']).toBeNull();
    expect(m['costUsd']).toBe(0);
  } else {
    expect(typeof m['model']).toBe('string');
    const u = m['tokenUsage'] as Record<string, number>;
    expect(Object.keys(u).sort()).toEqual(['inputTokens', 'outputTokens', 'totalTokens']);
    expect(u['totalTokens']).toBe(u['inputTokens']! + u['outputTokens']!);
  }
}

/** Every PublicConversationDTO field with its type. */
export function expectPublicConversation(c: Record<string, unknown>): void {
  expect(Object.keys(c).sort()).toEqual(CONVERSATION_FIELDS);
  expect(isUuidV7(c['publicId'] as string)).toBe(true);
  expect(isUuidV7(c['agentPublicId'] as string)).toBe(true);
  expect(['api', 'web_chat']).toContain(c['channel']);
  expect(c['externalUserId'] === null || typeof c['externalUserId'] === 'string').toBe(true);
  expect(typeof c['isEnded']).toBe('boolean');
  expect(c['isPaused']).toBe(false);
  expect(typeof c['isTest']).toBe('boolean');
  expect(c['lastMessageAt'] === null || ISO_MS.test(c['lastMessageAt'] as string)).toBe(true);
  expect(Number.isInteger(c['messageCount'])).toBe(true);
  expect(c['metadata']).toBeTypeOf('object');
  expect(c['startedAt']).toMatch(ISO_MS);
}

/** Polls until `fn` returns a value (no fixed sleeps). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type Paged<T> = { items: T[]; page: number; limit: number; total: number; totalPages: number };
