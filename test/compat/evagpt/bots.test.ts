import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAbilities, abilitiesSystemBlock } from '../../../src/features/abilities/abilities.js';
import { getAgentOrThrow } from '../../../src/features/agents/agents.repo.js';
import { newAgent, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { MISSING_ID } from '../../http.js';
import { eva, evaWorld, expectIso, expectProblem } from './eva.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('E1 GET /bot', () => {
  it('lists the workspace agents by name with every Bot field', async () => {
    const w = await evaWorld(t, { name: 'Zeta bot', description: 'Last one', greeting: 'Olá! Sou a Zeta.' });
    await newAgent(t, w.ws, { name: 'alpha bot' });
    const deleted = await newAgent(t, w.ws, { name: 'Beta bot' });
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/admin/workspaces/${w.ws}/agents/${deleted}`,
      headers: operatorHeaders,
    });
    await evaWorld(t); // another workspace's agents never show

    const res = await eva(t, 'GET', '/bot', w.h);
    expect(res.statusCode).toBe(200);
    const bots = res.json<Array<Record<string, unknown>>>();
    expect(bots.map((b) => b['name'])).toEqual(['alpha bot', 'Zeta bot']);
    const zeta = bots[1]!;
    expect(Object.keys(zeta).sort()).toEqual([
      'createdAt',
      'description',
      'id',
      'name',
      'presentation',
      'updatedAt',
    ]);
    expect(zeta).toMatchObject({ id: w.agentId, description: 'Last one', presentation: 'Olá! Sou a Zeta.' });
    expectIso(zeta['createdAt']);
    expectIso(zeta['updatedAt']);
    expect(bots[0]).toMatchObject({ description: null, presentation: '' });
  });
});

describe('E2 GET /bot/presentation/:botId', () => {
  it('answers the greeting, empty when none', async () => {
    const w = await evaWorld(t, { name: 'Greeter', greeting: 'Bem-vindo!' });
    const res = await eva(t, 'GET', `/bot/presentation/${w.agentId}`, w.h);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: w.agentId, botname: 'Greeter', presentation: 'Bem-vindo!' });
    const plain = await newAgent(t, w.ws, { name: 'Silent' });
    expect((await eva(t, 'GET', `/bot/presentation/${plain}`, w.h)).json()).toEqual({
      id: plain,
      botname: 'Silent',
      presentation: '',
    });
  });

  it('404 for missing, malformed and other workspaces’ bots', async () => {
    const w = await evaWorld(t);
    const other = await evaWorld(t);
    for (const id of [MISSING_ID, 'nope', other.agentId]) {
      expectProblem(await eva(t, 'GET', `/bot/presentation/${id}`, w.h), 404, 'not-found');
    }
  });
});

describe('E3 POST /bot/ability/:botId', () => {
  it('creates an ability stored on the agent and rendered for the system context', async () => {
    const w = await evaWorld(t);
    const body = {
      name: 'Vendas',
      description: 'Fecha pedidos',
      instructions: 'Quando o cliente quiser comprar, peça o CEP e ofereça o plano anual.',
    };
    const res = await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, body);
    expect(res.statusCode, res.body).toBe(200);
    const ability = res.json<Record<string, unknown>>();
    expect(Object.keys(ability).sort()).toEqual([
      'botId',
      'createdAt',
      'description',
      'id',
      'instructions',
      'name',
    ]);
    expect(ability).toMatchObject({ ...body, botId: w.agentId });
    expectIso(ability['createdAt']);

    const second = await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, {
      name: 'Suporte',
      instructions: 'Resolva dúvidas técnicas.',
    });
    expect(second.json()).toMatchObject({ description: null });

    const agent = await getAgentOrThrow(t.db.db, w.ws, w.agentId);
    expect(agentAbilities(agent).map((a) => a.name)).toEqual(['Vendas', 'Suporte']);
    const block = abilitiesSystemBlock(agent)!;
    expect(block).toContain('## Vendas');
    expect(block).toContain(body.instructions);
    expect(block.indexOf('## Vendas')).toBeLessThan(block.indexOf('## Suporte'));
  });

  it('409 conflict when the name is already used on the bot (any case); other bots may reuse it', async () => {
    const w = await evaWorld(t);
    const ok = await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, { name: 'FAQ', instructions: 'a' });
    expect(ok.statusCode).toBe(200);
    expectProblem(
      await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, { name: 'faq', instructions: 'b' }),
      409,
      'conflict',
    );
    const other = await newAgent(t, w.ws);
    expect(
      (await eva(t, 'POST', `/bot/ability/${other}`, w.admin, { name: 'FAQ', instructions: 'c' })).statusCode,
    ).toBe(200);
    const agent = await getAgentOrThrow(t.db.db, w.ws, w.agentId);
    expect(agentAbilities(agent)).toHaveLength(1);
  });

  it('concurrent creates with one name: exactly one wins', async () => {
    const w = await evaWorld(t);
    const results = await Promise.all(
      [1, 2, 3].map((i) =>
        eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, { name: 'Race', instructions: `v${i}` }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
  });

  it('validates the body (400 with errors) and changes nothing; 404 for unknown bots', async () => {
    const w = await evaWorld(t);
    const cases: unknown[] = [
      {},
      { name: '', instructions: 'x' },
      { name: 'x'.repeat(101), instructions: 'x' },
      { name: 'ok', instructions: '' },
      { name: 'ok', instructions: 'x', description: 'd'.repeat(501) },
    ];
    for (const body of cases) {
      const p = expectProblem(
        await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, body),
        400,
        'bad-request',
      );
      expect(p.errors?.length).toBeGreaterThan(0);
    }
    expect(agentAbilities(await getAgentOrThrow(t.db.db, w.ws, w.agentId))).toEqual([]);
    expectProblem(
      await eva(t, 'POST', `/bot/ability/${MISSING_ID}`, w.admin, { name: 'a', instructions: 'b' }),
      404,
      'not-found',
    );
  });
});
