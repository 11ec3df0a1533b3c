import { expect } from 'vitest';
import type { TestApp } from './harness.js';
import { OPERATOR_TOKEN } from './harness.js';

const admin = { authorization: `Bearer ${OPERATOR_TOKEN}` };

export interface World {
  workspaceId: string;
  /** Secret key with agent:run. */
  key: string;
  agentId: string;
}

let counter = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${++counter}`;

export async function newWorkspace(t: TestApp, name = unique('ws')): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/admin/workspaces',
    headers: admin,
    payload: { name },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

export async function newKey(
  t: TestApp,
  workspaceId: string,
  body: Record<string, unknown> = { type: 'secret', name: 'test key' },
): Promise<{ id: string; key: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/admin/workspaces/${workspaceId}/api-keys`,
    headers: admin,
    payload: { name: 'test key', ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string; key: string }>();
}

export async function newAgent(
  t: TestApp,
  workspaceId: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/admin/workspaces/${workspaceId}/agents`,
    headers: admin,
    payload: { name: unique('agent'), instructions: 'You are a helpful test agent.', ...body },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

/** A workspace with one agent and a secret key that may use it. */
export async function newWorld(t: TestApp, agent: Record<string, unknown> = {}): Promise<World> {
  const workspaceId = await newWorkspace(t);
  const agentId = await newAgent(t, workspaceId, agent);
  const { key } = await newKey(t, workspaceId);
  return { workspaceId, key, agentId };
}

export async function newSession(t: TestApp, w: World, body: Record<string, unknown> = {}): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/${w.agentId}/sessions`,
    headers: { 'x-api-key': w.key },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string }>().id;
}

/** Sets an agent's status (`active`, `inactive`, …) through the admin API. */
export async function setAgentStatus(t: TestApp, workspaceId: string, agentId: string, status: string) {
  const res = await t.app.inject({
    method: 'PATCH',
    url: `/v1/admin/workspaces/${workspaceId}/agents/${agentId}`,
    headers: admin,
    payload: { status },
  });
  expect(res.statusCode, res.body).toBe(200);
}

export const operatorHeaders = admin;

/** A Public Chat conversation made through P1 with a fresh public key, and its Bearer headers. */
export async function newPublicConversation(
  t: TestApp,
  agent: Record<string, unknown> = {},
  workspaceId?: string,
): Promise<{
  id: string;
  ws: string;
  agentId: string;
  pk: string;
  sk: string;
  token: string;
  h: Record<string, string>;
}> {
  const ws = workspaceId ?? (await newWorkspace(t));
  const agentId = await newAgent(t, ws, agent);
  const pk = (await newKey(t, ws, { type: 'public' })).key;
  const sk = (await newKey(t, ws)).key;
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/public/agents/conversations',
    headers: { 'x-api-key': pk },
    payload: { agent_id: agentId },
  });
  expect(res.statusCode, res.body).toBe(200);
  const c = res.json<{ id: string; session_token: string }>();
  return {
    id: c.id,
    ws,
    agentId,
    pk,
    sk,
    token: c.session_token,
    h: { authorization: `Bearer ${c.session_token}` },
  };
}
