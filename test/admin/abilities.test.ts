import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newSession, newWorld, newWorkspace, operatorHeaders } from '../factories.js';
import { createTestApp, type TestApp } from '../harness.js';
import { expectError, ISO_MS, MISSING_ID } from '../http.js';
import { mockRegistry } from '../mock-model.js';

let t: TestApp;
const mocks = mockRegistry();
beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
});
afterAll(() => t.close());

interface AbilityOut {
  id: string;
  agent_id: string;
  name: string;
  description: string | null;
  instructions: string;
  created_at: string;
  updated_at: string;
}

const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = operatorHeaders,
) => t.app.inject({ method, url: `/v1/admin${url}`, headers, ...(payload !== undefined && { payload }) });

const base = (ws: string, agent: string) => `/workspaces/${ws}/agents/${agent}/abilities`;

async function list(ws: string, agent: string): Promise<AbilityOut[]> {
  const res = await call('GET', base(ws, agent));
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AbilityOut[] }>().items;
}

describe('management API: agent abilities (Papo extension)', () => {
  it('adds, lists, edits and deletes abilities; each change reaches the next reply', async () => {
    const model = mocks.register('admin-abilities');
    const w = await newWorld(t, { model, instructions: 'Você atende a Loja.' });
    const session = await newSession(t, w);
    const send = async (content: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/agents/sessions/${session}/messages`,
        headers: { 'x-api-key': w.key },
        payload: { content },
      });
      expect(res.statusCode, res.body).toBe(200);
      const calls = mocks.calls.get('admin-abilities')!;
      return calls[calls.length - 1]!.prompt[0]!.content as string;
    };

    const created = await call('POST', base(w.workspaceId, w.agentId), {
      name: 'Vendas',
      description: 'Quando o cliente quer comprar',
      instructions: 'Ofereça o plano anual.',
    });
    expect(created.statusCode, created.body).toBe(200);
    const a = created.json<AbilityOut>();
    expect(a).toEqual({
      id: expect.any(String),
      agent_id: w.agentId,
      name: 'Vendas',
      description: 'Quando o cliente quer comprar',
      instructions: 'Ofereça o plano anual.',
      created_at: expect.stringMatching(ISO_MS),
      updated_at: a.created_at,
    });
    const b = (
      await call('POST', base(w.workspaceId, w.agentId), {
        name: 'Suporte',
        instructions: 'Peça o número do pedido.',
      })
    ).json<AbilityOut>();
    expect((await list(w.workspaceId, w.agentId)).map((x) => x.name)).toEqual(['Vendas', 'Suporte']);
    expect(await send('oi')).toContain('## Vendas\nQuando o cliente quer comprar\nOfereça o plano anual.');

    const edited = await call('PATCH', `${base(w.workspaceId, w.agentId)}/${a.id}`, {
      instructions: 'Ofereça o plano mensal.',
      description: null,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json<AbilityOut>()).toMatchObject({
      id: a.id,
      name: 'Vendas',
      description: null,
      instructions: 'Ofereça o plano mensal.',
      created_at: a.created_at,
    });
    const system = await send('e agora?');
    expect(system).toContain('## Vendas\nOfereça o plano mensal.');
    expect(system).not.toContain('plano anual');

    const del = await call('DELETE', `${base(w.workspaceId, w.agentId)}/${b.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expect((await list(w.workspaceId, w.agentId)).map((x) => x.id)).toEqual([a.id]);
    expect(await send('tchau')).not.toContain('Suporte');
    expectError(await call('DELETE', `${base(w.workspaceId, w.agentId)}/${b.id}`), 404, 'not_found');
    expectError(
      await call('PATCH', `${base(w.workspaceId, w.agentId)}/${b.id}`, { name: 'x' }),
      404,
      'not_found',
    );
  });

  it('names are unique per agent, case-insensitively (422 on name); bad input changes nothing', async () => {
    const ws = await newWorkspace(t);
    const agent = await newAgent(t, ws);
    const other = await newAgent(t, ws);
    const a = (await call('POST', base(ws, agent), { name: 'Vendas', instructions: 'x' })).json<AbilityOut>();
    const b = (
      await call('POST', base(ws, agent), { name: 'Suporte', instructions: 'y' })
    ).json<AbilityOut>();
    const dup = expectError(
      await call('POST', base(ws, agent), { name: 'VENDAS', instructions: 'z' }),
      422,
      'validation_error',
    );
    expect(dup.error.context['issues']).toEqual([
      expect.objectContaining({ location: 'body', path: 'name' }),
    ]);
    expectError(
      await call('PATCH', `${base(ws, agent)}/${b.id}`, { name: 'vendas' }),
      422,
      'validation_error',
    );
    // renaming to its own name in another case is fine; the same name on another agent is fine
    expect((await call('PATCH', `${base(ws, agent)}/${a.id}`, { name: 'VENDAS' })).statusCode).toBe(200);
    expect((await call('POST', base(ws, other), { name: 'Suporte', instructions: 'y' })).statusCode).toBe(
      200,
    );

    expectError(await call('POST', base(ws, agent), { name: 'x' }), 400, 'invalid_request');
    for (const body of [
      { name: '', instructions: 'x' },
      { name: 'x'.repeat(101), instructions: 'x' },
      { name: 'ok', instructions: '' },
      { name: 'ok', instructions: 'x'.repeat(20_001) },
      { name: 'ok', instructions: 'x', description: 'd'.repeat(501) },
    ]) {
      expectError(await call('POST', base(ws, agent), body), 422, 'validation_error');
    }
    expectError(
      await call('PATCH', `${base(ws, agent)}/${b.id}`, { instructions: '' }),
      422,
      'validation_error',
    );
    expect((await list(ws, agent)).map((x) => [x.name, x.instructions])).toEqual([
      ['VENDAS', 'x'],
      ['Suporte', 'y'],
    ]);
    expectError(await call('GET', base(ws, MISSING_ID)), 404, 'not_found');
    expectError(await call('POST', base(ws, 'nope'), { name: 'a', instructions: 'b' }), 404, 'not_found');
  });

  it('admin keys reach their own workspace and allowed agents only', async () => {
    const ws = await newWorkspace(t);
    const agent = await newAgent(t, ws);
    const other = await newAgent(t, ws);
    const limited = await newKey(t, ws, { type: 'secret', name: 'l', scopes: ['admin'], agent_ids: [agent] });
    const auth = { authorization: `Bearer ${limited.key}` };
    expect((await call('POST', base(ws, agent), { name: 'A', instructions: 'a' }, auth)).statusCode).toBe(
      200,
    );
    expectError(
      await call('POST', base(ws, other), { name: 'A', instructions: 'a' }, auth),
      403,
      'agent_not_allowed',
    );
    expectError(await call('GET', base(ws, other), undefined, auth), 403, 'agent_not_allowed');
    const run = await newKey(t, ws, { type: 'secret', name: 'r', scopes: ['agent:run'] });
    expectError(
      await call('GET', base(ws, agent), undefined, { authorization: `Bearer ${run.key}` }),
      403,
      'insufficient_scope',
    );
    const foreignWs = await newWorkspace(t);
    const foreign = await newKey(t, foreignWs, { type: 'secret', name: 'f', scopes: ['admin'] });
    expectError(
      await call('GET', base(ws, agent), undefined, { authorization: `Bearer ${foreign.key}` }),
      404,
      'not_found',
    );
    expect(await list(ws, other)).toEqual([]);
  });
});
