import { afterAll, beforeAll, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace } from './factories.js';
import { PNG } from './fixtures.js';
import { createTestApp, type TestApp } from './harness.js';
import { parseSse } from './sse-client.js';

// The Public Chat API as a widget on another origin uses it: real HTTP, an Origin header on
// every request, only a public key and then the session token.
let t: TestApp;
let api: string;
const ORIGIN = 'https://shop.example.com';

beforeAll(async () => {
  t = await createTestApp();
  api = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/v1/public/agents`;
});
afterAll(() => t.close());

async function browserFetch(url: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const res = await fetch(url, { ...init, headers: { origin: ORIGIN, ...init.headers } });
  // a browser would refuse to hand the page any response without this header
  expect(res.headers.get('access-control-allow-origin'), url).toBe('*');
  return res;
}

it('a page with only a public key creates, streams, reloads, uploads, rates and is nudged', async () => {
  const ws = await newWorkspace(t);
  const agentId = await newAgent(t, ws, {
    inactivity: { warning_message: 'Are you still there?', final_message: 'Closing this chat. Bye!' },
  });
  const pk = (await newKey(t, ws, { type: 'public', allowed_origins: ['https://*.example.com'] })).key;

  // preflight, as the browser sends it before a POST with X-API-Key
  const pre = await fetch(`${api}/conversations`, {
    method: 'OPTIONS',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-api-key,content-type',
    },
  });
  expect(pre.status).toBe(204);

  // 1. create the conversation
  const created = await browserFetch(`${api}/conversations`, {
    method: 'POST',
    headers: { 'x-api-key': pk, 'content-type': 'application/json' },
    body: JSON.stringify({ agent_id: agentId, user_data: { name: 'Ana' }, context: { page: '/pricing' } }),
  });
  expect(created.status).toBe(200);
  const conv = (await created.json()) as { id: string; session_token: string };
  const auth = { authorization: `Bearer ${conv.session_token}` };
  const json = { ...auth, 'content-type': 'application/json' };

  // 2. stream a reply
  const streamed = await browserFetch(`${api}/conversations/${conv.id}/messages/stream`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ content: 'Hello from the page' }),
  });
  const { events } = parseSse(await streamed.text());
  expect(events.map((e) => e.event).at(-1)).toBe('done');
  const reply = events
    .filter((e) => e.event === 'agent_message.delta')
    .map((e) => JSON.parse(e.data!).delta)
    .join('');
  expect(reply).toContain('Hello from the page');

  // 3. reload: restore state and history with the stored token
  const state = (await (await browserFetch(`${api}/conversations/${conv.id}`, { headers: auth })).json()) as {
    status: string;
    messages_count: number;
  };
  expect(state).toMatchObject({ status: 'active', messages_count: 2 });
  const history = (await (
    await browserFetch(`${api}/conversations/${conv.id}/messages`, { headers: auth })
  ).json()) as {
    items: Array<{ role: string; content: Array<{ text?: string }> }>;
  };
  expect(history.items.map((m) => m.role)).toEqual(['user', 'assistant']);
  expect(history.items[1]!.content[0]!.text).toBe(reply);

  // 4. upload a file and send it
  const form = new FormData();
  form.append('file', new Blob([PNG], { type: 'image/png' }), 'photo.png');
  const uploaded = await browserFetch(`${api}/conversations/${conv.id}/files`, {
    method: 'POST',
    headers: auth,
    body: form,
  });
  expect(uploaded.status).toBe(200);
  const file = (await uploaded.json()) as { id: string; mime_type: string };
  expect(file.mime_type).toBe('image/png');
  const withImage = await browserFetch(`${api}/conversations/${conv.id}/messages`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      content: [
        { type: 'text', text: 'look' },
        { type: 'image', file_id: file.id },
      ],
    }),
  });
  expect(withImage.status).toBe(200);
  const download = await browserFetch(`${api}/conversations/${conv.id}/files/${file.id}/content`, {
    headers: auth,
  });
  expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);

  // 5. feedback
  const fb = await browserFetch(`${api}/conversations/${conv.id}/feedback`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ score: 9, comment: 'Great help' }),
  });
  expect(fb.status).toBe(200);
  expect(await fb.json()).toMatchObject({ id: conv.id, score: 9, comment: 'Great help' });

  // 6. the user goes quiet: a warning, then the final message closes the chat
  const warn = (await (
    await browserFetch(`${api}/conversations/${conv.id}/inactivity`, {
      method: 'POST',
      headers: json,
      body: '{"step":"warning"}',
    })
  ).json()) as { step: string; message: { content: Array<{ text: string }> }; conversation_status: string };
  expect(warn).toMatchObject({ step: 'warning', conversation_status: 'active' });
  expect(warn.message.content[0]!.text).toBe('Are you still there?');
  const fin = (await (
    await browserFetch(`${api}/conversations/${conv.id}/inactivity`, {
      method: 'POST',
      headers: json,
      body: '{"step":"final"}',
    })
  ).json()) as { conversation_status: string };
  expect(fin.conversation_status).toBe('closed');
  const late = await browserFetch(`${api}/conversations/${conv.id}/messages`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ content: 'wait!' }),
  });
  expect(late.status).toBe(409);

  // the same conversation from another origin is refused at the key
  const evil = await fetch(`${api}/conversations`, {
    method: 'POST',
    headers: { origin: 'https://evil-example.com', 'x-api-key': pk, 'content-type': 'application/json' },
    body: JSON.stringify({ agent_id: agentId }),
  });
  expect(evil.status).toBe(403);
  expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
});
