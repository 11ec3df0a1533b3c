import type { LanguageModelV3 } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { respondingModel } from '../../../test/mock-model.js';
import { ModelGateway, type GatewayTool, type ToolCallRecord } from './gateway.js';

/** A model that plays `steps` in order, one per call: tool calls, or text that ends the turn. */
function toolCallingModel(steps: Array<Array<{ tool: string; input: string } | string>>) {
  return respondingModel((_options, n) =>
    (steps[n - 1] ?? ['(no more steps)']).map((s, i) =>
      typeof s === 'string'
        ? { text: s }
        : { toolCall: { id: `call-${n}-${i}`, name: s.tool, input: s.input } },
    ),
  );
}

const weather: GatewayTool = {
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  async execute(args) {
    if (args['city'] === 'Atlantis') throw new Error('no such city');
    return { city: args['city'] as string, celsius: 24 };
  },
};

function gatewayWith(model: LanguageModelV3) {
  return new ModelGateway(loadConfig({ PAPO_DATA_DIR: '/tmp' }), { mock: () => model });
}

describe('ModelGateway tool loop', () => {
  it('runs the tools the model calls, gives it the results and streams the final text', async () => {
    const { model, calls } = toolCallingModel([
      ['Let me check. ', { tool: 'weather', input: '{"city":"Recife"}' }],
      ['It is 24 °C in Recife.'],
    ]);
    const started: unknown[] = [];
    const completed: ToolCallRecord[] = [];
    const deltas: string[] = [];
    const result = await gatewayWith(model).stream({
      model: 'mock:tools',
      system: 'You help.',
      messages: [{ role: 'user', content: 'Weather in Recife?' }],
      timeoutMs: 5000,
      tools: { weather },
      onDelta: (d) => deltas.push(d),
      onToolCallStarted: (c) => started.push(c),
      onToolCallCompleted: (r) => completed.push(r),
    });
    expect(result.text).toBe('Let me check. It is 24 °C in Recife.');
    expect(deltas.join('')).toBe(result.text);
    // usage of both steps
    expect(result.usage).toEqual({ inputTokens: 20, outputTokens: 10, cachedTokens: 0 });
    expect(result.toolCalls).toEqual([
      {
        toolCallId: 'call-1-1',
        name: 'weather',
        arguments: { city: 'Recife' },
        result: { city: 'Recife', celsius: 24 },
      },
    ]);
    expect(started).toEqual([{ toolCallId: 'call-1-1', name: 'weather', arguments: { city: 'Recife' } }]);
    expect(completed).toEqual(result.toolCalls);
    // the model was offered the tool, and saw its call and result on the second step
    expect(calls[0]!.tools).toEqual([
      {
        type: 'function',
        name: 'weather',
        description: 'The weather in a city',
        inputSchema: weather.parameters,
      },
    ]);
    expect(calls[1]!.prompt.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check. ' },
          { type: 'tool-call', toolCallId: 'call-1-1', toolName: 'weather', input: { city: 'Recife' } },
        ],
      },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'call-1-1',
            toolName: 'weather',
            output: { type: 'json', value: { city: 'Recife', celsius: 24 } },
          },
        ],
      },
    ]);
  });

  it('returns failures to the model as the tool error: thrown, bad JSON, unknown tool', async () => {
    const { model, calls } = toolCallingModel([
      [
        { tool: 'weather', input: '{"city":"Atlantis"}' },
        { tool: 'weather', input: '{not json' },
        { tool: 'teleport', input: '{}' },
      ],
      ['Sorry.'],
    ]);
    const result = await gatewayWith(model).stream({
      model: 'mock:tools',
      system: '',
      messages: [{ role: 'user', content: 'x' }],
      timeoutMs: 5000,
      tools: { weather },
    });
    expect(result.text).toBe('Sorry.');
    expect(result.toolCalls.map((c) => c.error)).toEqual([
      { code: 'tool_error', message: 'no such city' },
      { code: 'invalid_arguments', message: 'the arguments are not valid JSON' },
      { code: 'unknown_tool', message: 'no tool named teleport' },
    ]);
    const toolMessage = calls[1]!.prompt.at(-1)!;
    expect(toolMessage.role).toBe('tool');
    expect(JSON.stringify(toolMessage.content)).toContain('"type":"error-text","value":"no such city"');
  });

  it('stops after maxSteps even when the model keeps calling tools', async () => {
    const loop = { tool: 'weather', input: '{"city":"Recife"}' };
    const { model, calls } = toolCallingModel([[loop], [loop], [loop], [loop], [loop]]);
    const result = await gatewayWith(model).stream({
      model: 'mock:tools',
      system: '',
      messages: [{ role: 'user', content: 'x' }],
      timeoutMs: 5000,
      tools: { weather },
      maxSteps: 3,
    });
    expect(calls).toHaveLength(3);
    expect(result.toolCalls).toHaveLength(2); // the third step's call is not run: no step follows
  });

  it('offers no tools when none are given', async () => {
    const { model, calls } = toolCallingModel([['Hi.']]);
    await gatewayWith(model).stream({
      model: 'mock:tools',
      system: '',
      messages: [{ role: 'user', content: 'x' }],
      timeoutMs: 5000,
      tools: {},
    });
    expect(calls[0]!.tools).toBeUndefined();
  });
});
