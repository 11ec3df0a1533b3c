import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { newAgent, newKey, newWorkspace, operatorHeaders } from '../../factories.js';
import type { TestApp } from '../../harness.js';
import { ISO_MS, type Method } from '../../http.js';

export const EVA = '/compat/evagpt';

/** A workspace with an agent, an `agent:run` key and an `admin` key (both Bearer headers). */
export interface EvaWorld {
  ws: string;
  agentId: string;
  key: string;
  adminKey: string;
  h: Record<string, string>;
  admin: Record<string, string>;
}

export async function evaWorld(t: TestApp, agent: Record<string, unknown> = {}): Promise<EvaWorld> {
  const ws = await newWorkspace(t);
  const agentId = await newAgent(t, ws, agent);
  const key = (await newKey(t, ws)).key;
  const adminKey = (await newKey(t, ws, { type: 'secret', scopes: ['agent:run', 'admin'] })).key;
  return { ws, agentId, key, adminKey, h: bearer(key), admin: bearer(adminKey) };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** One request to the EvaGPT surface; `payload` is sent as JSON when given. */
export function eva(
  t: TestApp,
  method: Method,
  path: string,
  headers: Record<string, string>,
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url: `${EVA}${path}`,
    headers,
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  instance: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const TITLES: Record<string, string> = {
  'bad-request': 'Bad Request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'not-found': 'Not Found',
  'method-not-allowed': 'Method Not Allowed',
  'conversation-closed': 'Conversation Closed',
  'agent-unavailable': 'Agent Unavailable',
  conflict: 'Conflict',
  'payload-too-large': 'Payload Too Large',
  'unsupported-media-type': 'Unsupported Media Type',
  'rate-limited': 'Too Many Requests',
  internal: 'Internal Server Error',
  'bad-gateway': 'Bad Gateway',
  'gateway-timeout': 'Gateway Timeout',
};

/** evagpt.md §1.1: RFC 7807 body with the slug's status and title, the path, a detail. */
export function expectProblem(res: LightMyRequestResponse, status: number, slug: string): ProblemBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
  const body = res.json<ProblemBody>();
  expect(body.type).toBe(`urn:papo:problem:${slug}`);
  expect(body.title).toBe(TITLES[slug]);
  expect(body.status).toBe(status);
  expect(body.instance).toBe(res.raw.req.url?.split('?')[0]);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  const allowed = ['detail', 'errors', 'instance', 'status', 'title', 'type'];
  for (const k of Object.keys(body)) expect(allowed).toContain(k);
  if (body.errors !== undefined) {
    expect(slug).toBe('bad-request');
    for (const e of body.errors) {
      expect(typeof e.field).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
  return body;
}

export function expectIso(value: unknown): void {
  expect(value).toMatch(ISO_MS);
}

/** A knowledge base made through the management API (operator token). */
export async function newKnowledgeBase(
  t: TestApp,
  ws: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/admin/workspaces/${ws}/knowledge-bases`,
    headers: operatorHeaders,
    payload: { name: `kb-${Math.random().toString(36).slice(2, 10)}`, ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

export async function linkKnowledgeBases(
  t: TestApp,
  ws: string,
  agentId: string,
  ids: string[],
): Promise<void> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/v1/admin/workspaces/${ws}/agents/${agentId}/knowledge-bases`,
    headers: operatorHeaders,
    payload: { knowledge_base_ids: ids },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** Creates a conversation through E7 and returns its id. */
export async function newEvaConversation(
  t: TestApp,
  w: EvaWorld,
  meta?: Record<string, unknown>,
): Promise<string> {
  const res = await eva(t, 'POST', `/conversation/create/${w.agentId}`, w.h, meta ? { meta } : undefined);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

/** Polls (bounded) until `fn` returns a value: background work has no event to wait on. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
