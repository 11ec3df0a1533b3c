import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { isUuidV7 } from '../../../src/platform/ids.js';
import { newKey, newWorkspace, operatorHeaders } from '../../factories.js';
import type { TestApp } from '../../harness.js';
import { respondingModel } from '../../mock-model.js';

/** Helpers for the RD Station surface tests (rdstation.md). */

export const BASE = '/compat/rdstation';

export interface RdWorld {
  workspaceId: string;
  /** Secret key with agent:run. */
  key: string;
  /** Secret key with admin. */
  admin: string;
}

export async function rdWorld(t: TestApp): Promise<RdWorld> {
  const workspaceId = await newWorkspace(t);
  const { key } = await newKey(t, workspaceId);
  const admin = (await newKey(t, workspaceId, { type: 'secret', scopes: ['admin'] })).key;
  return { workspaceId, key, admin };
}

export function rd(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  key: string | undefined,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method,
    url: `${BASE}${path}`,
    headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers },
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
}

/** rdstation.md §1.2: `{ message, code, issues? }`, JSON, with an X-Request-Id. */
export function expectRdError(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(isUuidV7(String(res.headers['x-request-id']))).toBe(true);
  const body = res.json<{ message: string; code: string; issues?: Array<{ message: string }> }>();
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  const keys = Object.keys(body).sort();
  expect(keys.every((k) => ['code', 'issues', 'message'].includes(k))).toBe(true);
  if (body.issues !== undefined) {
    expect(Array.isArray(body.issues)).toBe(true);
    for (const i of body.issues) expect(Object.keys(i)).toEqual(['message']);
  }
  expect(res.body).not.toMatch(/at .*\.ts:\d+|stack|secret-internal-detail/);
  return body;
}

/** An RD agent created through R11 (admin key). */
export async function rdAgent(t: TestApp, w: RdWorld, body: Record<string, unknown> = {}): Promise<string> {
  const res = await rd(t, 'POST', '/rest/agents', w.admin, {
    name: `agent-${Math.random().toString(36).slice(2, 10)}`,
    description: 'You answer questions about Papo.',
    status: 'online',
    ...body,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

/** Sets an agent's fields through the management API (publishes runtime changes). */
export async function patchAgent(t: TestApp, w: RdWorld, agentId: string, patch: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'PATCH',
    url: `/v1/admin/workspaces/${w.workspaceId}/agents/${agentId}`,
    headers: operatorHeaders,
    payload: patch,
  });
  expect(res.statusCode, res.body).toBe(200);
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function lastUserText(options: LanguageModelV3CallOptions): string {
  for (let i = options.prompt.length - 1; i >= 0; i--) {
    const m = options.prompt[i]!;
    if (m.role === 'user') {
      return m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    }
  }
  return '';
}

/**
 * A model that captures leads: when the last user text holds `LEAD:{json}` it calls save_lead
 * with that JSON, then answers "Saved." once the tool result is back; otherwise it answers
 * "Hello **there**" with usage 12 in (4 cached) / 3 out. Records every call.
 */
export function leadModel(): { model: LanguageModelV3; calls: LanguageModelV3CallOptions[] } {
  return respondingModel(
    (options, n) => {
      const match = /LEAD:(\{.*\})/.exec(lastUserText(options));
      if (options.prompt.at(-1)?.role === 'tool') return [{ text: 'Saved.' }];
      if (match && options.tools?.some((tool) => tool.name === 'save_lead')) {
        return [{ toolCall: { id: `c${n}`, name: 'save_lead', input: match[1]! } }];
      }
      return [{ text: 'Hello **there**' }];
    },
    { input: 12, output: 3, cached: 4 },
  );
}
