import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanOpenAICompatibleChatModel } from './lean-openai-compatible.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let server: Server;
let base: string;

/** Frames written one by one with pauses, so each arrives in its own socket read. */
const FRAMES = [
  { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }], usage: null },
  { choices: [{ index: 0, delta: { content: 'Olá' } }], usage: null },
  {
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '' } }] } },
    ],
  },
  { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: null },
  {
    choices: [],
    usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 2 } },
  },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void (async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const f of FRAMES) {
          res.write(`data: ${JSON.stringify(f)}\n\n`);
          await sleep(30);
        }
        res.end('data: [DONE]\n\n');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('LeanOpenAICompatibleChatModel', () => {
  it('keeps reading through chunks that produce no part (a pull that enqueues nothing would stall)', async () => {
    const model = new LeanOpenAICompatibleChatModel('m', { baseURL: base }, {} as LanguageModelV3);
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'oi' }] }],
    });
    const parts: LanguageModelV3StreamPart[] = [];
    const reader = stream.getReader();
    const deadline = Date.now() + 5000;
    for (;;) {
      const { value, done } = await Promise.race([
        reader.read(),
        sleep(Math.max(0, deadline - Date.now())).then(() => {
          throw new Error('the stream stalled');
        }),
      ]);
      if (done) break;
      parts.push(value);
    }
    expect(parts.map((p) => p.type)).toEqual([
      'stream-start',
      'text-start',
      'text-delta',
      'text-end',
      'tool-call',
      'finish',
    ]);
    expect(parts.find((p) => p.type === 'tool-call')).toMatchObject({
      toolCallId: 'c1',
      toolName: 'f',
      input: '{}',
    });
    const finish = parts.at(-1) as Extract<LanguageModelV3StreamPart, { type: 'finish' }>;
    expect(finish.finishReason).toEqual({ unified: 'tool-calls', raw: 'tool_calls' });
    expect(finish.usage.inputTokens.total).toBe(7);
    expect(finish.usage.inputTokens.cacheRead).toBe(2);
    expect(finish.usage.outputTokens.total).toBe(3);
  });
});
