import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../harness.js';
import { mockRegistry } from '../../mock-model.js';
import { eva, evaWorld, newEvaConversation } from './eva.js';

let t: TestApp;
const mocks = mockRegistry();
beforeAll(async () => {
  t = await createTestApp({ providers: { mock: mocks.provider } });
});
afterAll(() => t.close());

describe('E3 abilities in the system context (README §6.3)', () => {
  it('apply from the next reply, after the instructions, under their names', async () => {
    const model = mocks.register('abilities');
    const w = await evaWorld(t, { model, instructions: 'Você é a assistente da Loja.' });
    const id = await newEvaConversation(t, w);
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'oi' });
    const ability = await eva(t, 'POST', `/bot/ability/${w.agentId}`, w.admin, {
      name: 'Vendas',
      instructions: 'Ofereça sempre o plano anual.',
    });
    expect(ability.statusCode).toBe(200);
    await eva(t, 'POST', `/conversation/complete/${id}`, w.h, { text: 'quero comprar' });

    const systemOf = (i: number) => {
      const first = mocks.calls.get('abilities')![i]!.prompt[0]!;
      expect(first.role).toBe('system');
      return first.content as string;
    };
    expect(systemOf(0)).not.toContain('Vendas');
    const system = systemOf(1);
    expect(system.startsWith('Você é a assistente da Loja.')).toBe(true);
    expect(system).toContain('## Vendas\nOfereça sempre o plano anual.');
  });
});
