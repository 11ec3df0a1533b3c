import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { ManualClock } from '../src/platform/clock.js';
import { scriptedModel } from './mock-model.js';
import { TEST_DRIVER } from './harness.js';

const OPERATOR = 'server-test-operator-token-123';

function tempConfig(extra: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-server-'));
  return {
    dir,
    config: loadConfig({
      PAPO_DATA_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PAPO_DEMO_WORD_DELAY_MS: '0',
      ...extra,
    }),
  };
}

// These tests run the real process entry on the embedded database; the PostgreSQL pass covers the rest.
describe.skipIf(TEST_DRIVER === 'postgres')('server process', () => {
  it('on first start creates the default workspace, a demo agent and keys that work, once', async () => {
    const { dir, config } = tempConfig();
    const server = await startServer(config, { logger: false });
    const f = server.firstStart!;
    expect(f.operatorToken).toMatch(/^papo_op_[A-Za-z0-9]{40}$/);
    expect(f.secretKey).toMatch(/^papo_sk_[A-Za-z0-9]{40}$/);
    expect(f.publicKey).toMatch(/^papo_pk_[A-Za-z0-9]{40}$/);
    const session = await fetch(`${server.url}/v1/agents/${f.agentId}/sessions`, {
      method: 'POST',
      headers: { 'x-api-key': f.secretKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(session.status).toBe(200);
    const sid = ((await session.json()) as { id: string }).id;
    const reply = await fetch(`${server.url}/v1/agents/sessions/${sid}/messages`, {
      method: 'POST',
      headers: { 'x-api-key': f.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hello' }),
    });
    expect(reply.status).toBe(200);
    const ws = await fetch(`${server.url}/v1/admin/workspaces`, {
      headers: { authorization: `Bearer ${f.operatorToken}` },
    });
    expect(ws.status).toBe(200);
    expect(((await ws.json()) as { items: Array<{ name: string }> }).items.map((w) => w.name)).toEqual([
      'default',
    ]);
    await server.shutdown();

    // a restart on the same data prints nothing new and the generated operator token still works
    const again = await startServer(config, { logger: false });
    expect(again.firstStart).toBeUndefined();
    const ws2 = await fetch(`${again.url}/v1/admin/workspaces`, {
      headers: { authorization: `Bearer ${f.operatorToken}` },
    });
    expect(ws2.status).toBe(200);
    const wrong = await fetch(`${again.url}/v1/admin/workspaces`, {
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.status).toBe(401);
    await again.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shuts down gracefully: in-flight generations finish and are stored, new work gets 503', async () => {
    const { dir, config } = tempConfig({ PAPO_ADMIN_TOKEN: OPERATOR });
    const slow = scriptedModel({ delayMs: 150, chunks: ['still ', 'answering ', 'after ', 'SIGTERM'] });
    const server = await startServer(config, { logger: false, providers: { mock: () => slow.model } });
    const f = server.firstStart!;
    const admin = { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' };
    await fetch(`${server.url}/v1/admin/workspaces/${f.workspaceId}/agents/${f.agentId}`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ model: 'mock:slow' }),
    });
    const headers = { 'x-api-key': f.secretKey, 'content-type': 'application/json' };
    const sid = (
      (await (
        await fetch(`${server.url}/v1/agents/${f.agentId}/sessions`, { method: 'POST', headers, body: '{}' })
      ).json()) as {
        id: string;
      }
    ).id;
    const inflight = fetch(`${server.url}/v1/agents/sessions/${sid}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content: 'long one' }),
    });
    while (slow.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(server.services.runtime.tracker.count).toBe(1);
    const stopping = server.shutdown();
    const refused = await fetch(`${server.url}/v1/agents/sessions/${sid}`, { headers });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    const done = await inflight;
    expect(done.status).toBe(200);
    const body = (await done.json()) as { agent_message: { content: Array<{ text: string }> } };
    expect(body.agent_message.content[0]!.text).toBe('still answering after SIGTERM');
    await stopping;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('treats idle conversations as expired on read and then refuses messages', async () => {
    const { dir, config } = tempConfig({ PAPO_ADMIN_TOKEN: OPERATOR, PAPO_SWEEPER_INTERVAL_SECONDS: '10' });
    const clock = new ManualClock();
    const server = await startServer(config, { logger: false, clock });
    const f = server.firstStart!;
    const headers = { 'x-api-key': f.secretKey, 'content-type': 'application/json' };
    const sid = (
      (await (
        await fetch(`${server.url}/v1/agents/${f.agentId}/sessions`, { method: 'POST', headers, body: '{}' })
      ).json()) as {
        id: string;
      }
    ).id;
    clock.advance(86_400_000 + 1000);
    const read = (await (await fetch(`${server.url}/v1/agents/sessions/${sid}`, { headers })).json()) as {
      status: string;
    };
    expect(read.status).toBe('expired');
    const send = await fetch(`${server.url}/v1/agents/sessions/${sid}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content: 'late' }),
    });
    expect(send.status).toBe(409);
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with a list of every bad variable', () => {
    expect(() =>
      loadConfig({ PORT: 'abc', PAPO_MODEL_TIMEOUT_SECONDS: '5', DATABASE_URL: 'mysql://x' }),
    ).toThrowError(
      /PORT[\s\S]*DATABASE_URL[\s\S]*PAPO_MODEL_TIMEOUT_SECONDS|PORT[\s\S]*PAPO_MODEL_TIMEOUT_SECONDS/,
    );
  });
});
