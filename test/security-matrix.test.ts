import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newSession, newWorld, operatorHeaders, type World } from './factories.js';
import { PNG } from './fixtures.js';
import { createTestApp, type TestApp } from './harness.js';
import { call, expectError, type Headers, type Method } from './http.js';
import { multipartBody } from './multipart.js';

// Every Agent API endpoint (A1–A20) against every kind of bad credential, and another
// workspace's valid key: the contract's status and envelope, and nothing changes.
let t: TestApp;
let w: World;
let other: World;
let revoked: string;
let publicKey: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  w = await newWorld(t);
  other = await newWorld(t);
  ids['session'] = await newSession(t, w);
  const sent = await call(
    t.app,
    'POST',
    `/v1/agents/sessions/${ids['session']}/messages`,
    { 'x-api-key': w.key },
    { content: 'hi' },
  );
  ids['message'] = sent.json().user_message.id;
  const user = await call(
    t.app,
    'POST',
    '/v1/agents/users',
    { 'x-api-key': w.key },
    { reference: 'matrix-user' },
  );
  ids['user'] = user.json().id;
  const mp = multipartBody([{ name: 'file', filename: 'p.png', data: PNG }]);
  const file = await t.app.inject({
    method: 'POST',
    url: '/v1/agents/files',
    headers: { 'x-api-key': w.key, ...mp.headers },
    payload: mp.payload,
  });
  ids['file'] = file.json().id;
  const stream = await t.app.inject({
    method: 'POST',
    url: `/v1/agents/sessions/${ids['session']}/messages/stream`,
    headers: { 'x-api-key': w.key },
    payload: { content: 'stream' },
  });
  ids['stream'] = JSON.parse(/data: (\{.*\})/.exec(stream.body)![1]!).stream_id;
  const r = await newKey(t, w.workspaceId);
  await call(t.app, 'DELETE', `/v1/admin/workspaces/${w.workspaceId}/api-keys/${r.id}`, operatorHeaders);
  revoked = r.key;
  publicKey = (await newKey(t, w.workspaceId, { type: 'public' })).key;
});
afterAll(() => t.close());

type Endpoint = { name: string; method: Method; path: () => string; body?: unknown; bound: boolean };
const endpoints: Endpoint[] = [
  { name: 'A1', method: 'POST', path: () => '/v1/agents/users', body: {}, bound: false },
  { name: 'A2', method: 'GET', path: () => '/v1/agents/users', bound: false },
  { name: 'A3', method: 'GET', path: () => `/v1/agents/users/${ids['user']}`, bound: true },
  {
    name: 'A4',
    method: 'PATCH',
    path: () => `/v1/agents/users/${ids['user']}`,
    body: { name: 'x' },
    bound: true,
  },
  { name: 'A5', method: 'DELETE', path: () => `/v1/agents/users/${ids['user']}`, bound: true },
  { name: 'A6', method: 'POST', path: () => `/v1/agents/${w.agentId}/sessions`, body: {}, bound: true },
  { name: 'A7', method: 'GET', path: () => '/v1/agents/sessions', bound: false },
  { name: 'A8', method: 'GET', path: () => `/v1/agents/sessions/${ids['session']}`, bound: true },
  {
    name: 'A9',
    method: 'POST',
    path: () => `/v1/agents/sessions/${ids['session']}/terminate`,
    body: {},
    bound: true,
  },
  {
    name: 'A10',
    method: 'POST',
    path: () => `/v1/agents/sessions/${ids['session']}/messages`,
    body: { content: 'x' },
    bound: true,
  },
  {
    name: 'A11',
    method: 'POST',
    path: () => `/v1/agents/sessions/${ids['session']}/messages/stream`,
    body: { content: 'x' },
    bound: true,
  },
  {
    name: 'A12',
    method: 'GET',
    path: () => `/v1/agents/sessions/${ids['session']}/messages/${ids['message']}`,
    bound: true,
  },
  { name: 'A13', method: 'POST', path: () => '/v1/agents/files', body: {}, bound: false },
  { name: 'A14', method: 'GET', path: () => '/v1/agents/files', bound: false },
  { name: 'A15', method: 'GET', path: () => `/v1/agents/files/${ids['file']}`, bound: true },
  { name: 'A16', method: 'DELETE', path: () => `/v1/agents/files/${ids['file']}`, bound: true },
  {
    name: 'A17',
    method: 'POST',
    path: () => `/v1/agents/${w.agentId}/run`,
    body: { messages: [{ content: 'x' }] },
    bound: true,
  },
  { name: 'A18', method: 'GET', path: () => `/v1/agents/sessions/${ids['session']}/messages`, bound: true },
  { name: 'A19', method: 'GET', path: () => `/v1/agents/files/${ids['file']}/content`, bound: true },
  {
    name: 'A20',
    method: 'GET',
    path: () => `/v1/agents/sessions/${ids['session']}/streams/${ids['stream']}`,
    bound: true,
  },
];

async function snapshot() {
  const h = { 'x-api-key': w.key };
  const [users, sessions, files, messages] = await Promise.all([
    call(t.app, 'GET', '/v1/agents/users?limit=100', h),
    call(t.app, 'GET', '/v1/agents/sessions?limit=100', h),
    call(t.app, 'GET', '/v1/agents/files?limit=100', h),
    call(
      t.app,
      'GET',
      `/v1/agents/sessions/${ids['session']}/messages?limit=100&roles=user,assistant,system,tool`,
      h,
    ),
  ]);
  return [
    users.body,
    sessions.json().items.map((s: { id: string; status: string }) => s.id + s.status),
    files.body,
    messages.body,
  ];
}

describe('credentials on every Agent API endpoint', () => {
  const cases: Array<[string, () => Headers, number, string]> = [
    ['no key', () => ({}), 401, 'missing_api_key'],
    ['a malformed key', () => ({ 'x-api-key': 'papo_sk_short' }), 401, 'invalid_api_key'],
    ['a revoked key', () => ({ 'x-api-key': revoked }), 401, 'invalid_api_key'],
    ['a key in Authorization only', () => ({ authorization: `Bearer ${w.key}` }), 401, 'missing_api_key'],
    ['the operator token', () => operatorHeaders, 401, 'missing_api_key'],
    ['a public key', () => ({ 'x-api-key': publicKey }), 403, 'insufficient_scope'],
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

  it("another workspace's key sees none of these resources (404, identical to missing ones)", async () => {
    const before = await snapshot();
    for (const e of endpoints.filter((x) => x.bound)) {
      const res = await call(t.app, e.method, e.path(), { 'x-api-key': other.key }, e.body);
      expect(res.statusCode, `${e.name} ${res.body}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    for (const e of endpoints.filter((x) => !x.bound && x.method === 'GET')) {
      const res = await call(t.app, e.method, e.path(), { 'x-api-key': other.key });
      expect(res.statusCode).toBe(200);
      expect(JSON.stringify(res.json())).not.toContain(ids['session']!);
      expect(JSON.stringify(res.json())).not.toContain(ids['user']!);
      expect(JSON.stringify(res.json())).not.toContain(ids['file']!);
    }
    expect(await snapshot()).toEqual(before);
  });
});
