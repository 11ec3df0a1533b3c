import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace, operatorHeaders } from './factories.js';
import { createTestApp, type TestApp } from './harness.js';
import { bearer, call, expectError, type Headers, type Method } from './http.js';

// Every Bearer endpoint of the Public Chat API (P2, P4–P14) against missing, malformed, foreign,
// revoked-key and API-key credentials: the contract's status and body, and nothing changes.
let t: TestApp;
const P = '/v1/public/agents';
let conv: { id: string; session_token: string };
let other: { id: string; session_token: string };
let revokedToken: string;
let pk: string;
let ws: string;

beforeAll(async () => {
  t = await createTestApp();
  ws = await newWorkspace(t);
  const agent = await newAgent(t, ws);
  const key = await newKey(t, ws, { type: 'public' });
  pk = key.key;
  const make = async (k: string) =>
    (await call(t.app, 'POST', `${P}/conversations`, { 'x-api-key': k }, { agent_id: agent })).json<{
      id: string;
      session_token: string;
    }>();
  conv = await make(pk);
  other = await make(pk);
  const doomed = await newKey(t, ws, { type: 'public' });
  revokedToken = (await make(doomed.key)).session_token;
  await call(t.app, 'DELETE', `/v1/admin/workspaces/${ws}/api-keys/${doomed.id}`, operatorHeaders);
});
afterAll(() => t.close());

const MID = '01900000-0000-7000-8000-000000000000';
const endpoints: Array<{ name: string; method: Method; path: () => string; body?: unknown }> = [
  { name: 'P2', method: 'GET', path: () => `${P}/conversations/${conv.id}` },
  { name: 'P4', method: 'POST', path: () => `${P}/conversations/${conv.id}/terminate`, body: {} },
  {
    name: 'P5',
    method: 'POST',
    path: () => `${P}/conversations/${conv.id}/inactivity`,
    body: { step: 'warning' },
  },
  {
    name: 'P6',
    method: 'POST',
    path: () => `${P}/conversations/${conv.id}/messages`,
    body: { content: 'x' },
  },
  {
    name: 'P7',
    method: 'POST',
    path: () => `${P}/conversations/${conv.id}/messages/stream`,
    body: { content: 'x' },
  },
  { name: 'P8', method: 'GET', path: () => `${P}/conversations/${conv.id}/messages` },
  { name: 'P9', method: 'GET', path: () => `${P}/conversations/${conv.id}/messages/${MID}` },
  { name: 'P10', method: 'POST', path: () => `${P}/conversations/${conv.id}/files`, body: {} },
  { name: 'P11', method: 'GET', path: () => `${P}/conversations/${conv.id}/files` },
  { name: 'P12', method: 'POST', path: () => `${P}/conversations/${conv.id}/feedback`, body: { score: 5 } },
  { name: 'P13', method: 'GET', path: () => `${P}/conversations/${conv.id}/files/${MID}/content` },
  { name: 'P14', method: 'GET', path: () => `${P}/conversations/${conv.id}/streams/${MID}` },
];

async function snapshot() {
  const h = bearer(conv.session_token);
  const [state, messages, files] = await Promise.all([
    call(t.app, 'GET', `${P}/conversations/${conv.id}`, h),
    call(t.app, 'GET', `${P}/conversations/${conv.id}/messages?roles=user,assistant,system,tool`, h),
    call(t.app, 'GET', `${P}/conversations/${conv.id}/files`, h),
  ]);
  const detail = await call(
    t.app,
    'GET',
    `/v1/admin/workspaces/${ws}/conversations/${conv.id}`,
    operatorHeaders,
  );
  return [
    state.json().status,
    state.json().messages_count,
    messages.body,
    files.body,
    JSON.stringify(detail.json().feedback),
  ];
}

describe('credentials on every Public Chat Bearer endpoint', () => {
  const cases: Array<[string, () => Headers, number, string]> = [
    ['no token', () => ({}), 401, 'missing_session_token'],
    [
      'a non-Bearer scheme',
      () => ({ authorization: `Token ${conv.session_token}` }),
      401,
      'missing_session_token',
    ],
    ['a malformed token', () => bearer('abc.def.ghi'), 401, 'invalid_session_token'],
    ['an API key as Bearer', () => bearer(pk), 401, 'invalid_session_token'],
    ['an API key in X-API-Key', () => ({ 'x-api-key': pk }), 401, 'missing_session_token'],
    ['a token of a revoked key', () => bearer(revokedToken), 401, 'invalid_session_token'],
    ["another conversation's token", () => bearer(other.session_token), 403, 'session_token_scope_mismatch'],
  ];
  for (const [label, headers, status, code] of cases) {
    it(`${label} → ${status} ${code} everywhere, changing nothing`, async () => {
      const before = await snapshot();
      for (const e of endpoints) {
        const res = await call(t.app, e.method, e.path(), headers(), e.body);
        expect(res.statusCode, `${e.name} ${res.body}`).toBe(status);
        expectError(res, status, code);
      }
      expect(await snapshot()).toEqual(before);
    });
  }
});
