import type { ModelMessage } from 'ai';
import type { AgentRow, AgentVersionRow } from '../agents/agents.repo.js';
import {
  ModelCallError,
  type GatewayTool,
  type ModelGateway,
  type ToolCallRecord,
} from '../../platform/llm/gateway.js';
import type { PriceTable, TokenUsage } from '../../platform/llm/prices.js';
import { AppError } from '../../platform/errors.js';
import { thinkingSetting } from '../../platform/llm/thinking.js';

export interface GenerationInput {
  agent: AgentRow;
  version: AgentVersionRow;
  system: string;
  messages: ModelMessage[];
  replyId: string;
  timeoutMs: number;
  /** Stream sink: receives `agent_message.delta` payloads. */
  onDelta?: (delta: { message_id: string; delta: string }) => void;
  /** Internal tools the model may call (features/messages/tools.ts). */
  tools?: Record<string, GatewayTool>;
  /** Stream sink: `tool_call.started` / `tool_call.completed` payloads (quintus.md §6). */
  onToolEvent?: (event: 'tool_call.started' | 'tool_call.completed', data: unknown) => void;
}

export interface GenerationSuccess {
  ok: true;
  text: string;
  toolCalls: ToolCallRecord[];
  status: 'completed' | 'incomplete';
  usage: TokenUsage;
  costMicroUsd: number | null;
  model: string;
  durationMs: number;
}

export interface GenerationFailure {
  ok: false;
  text: string;
  error: ModelCallError;
  model: string;
  durationMs: number;
}

/** One model call for an agent's published version; never throws for model failures. */
export async function generate(
  deps: { gateway: ModelGateway; prices: PriceTable },
  input: GenerationInput,
): Promise<GenerationSuccess | GenerationFailure> {
  const started = Date.now();
  const model = input.version.model;
  try {
    const result = await deps.gateway.stream({
      model,
      system: input.system,
      messages: input.messages,
      temperature: input.version.temperature,
      maxOutputTokens: input.version.maxOutputTokens,
      thinking: thinkingSetting(input.version.thinking),
      timeoutMs: input.timeoutMs,
      onDelta: (delta) => input.onDelta?.({ message_id: input.replyId, delta }),
      tools: input.tools,
      onToolCallStarted: (c) =>
        input.onToolEvent?.('tool_call.started', {
          message_id: input.replyId,
          tool_call_id: c.toolCallId,
          name: c.name,
          arguments: c.arguments,
        }),
      onToolCallCompleted: (r) =>
        input.onToolEvent?.(
          'tool_call.completed',
          r.error
            ? { tool_call_id: r.toolCallId, error: r.error }
            : { tool_call_id: r.toolCallId, result: r.result },
        ),
    });
    return {
      ok: true,
      text: result.text,
      toolCalls: result.toolCalls,
      status: result.finishReason === 'length' ? 'incomplete' : 'completed',
      usage: result.usage,
      costMicroUsd: deps.prices.costMicroUsd(model, result.usage),
      model,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    const error =
      err instanceof ModelCallError
        ? err
        : new ModelCallError('error', 'The model provider failed to answer.', String(err), '');
    return { ok: false, text: error.partialText, error, model, durationMs: Date.now() - started };
  }
}

/** The surface error for a failed generation (502 model_error / 504 model_timeout). */
export function generationError(failure: GenerationFailure, timeoutMs: number, messageId?: string): AppError {
  const ctx = messageId ? { message_id: messageId } : {};
  return failure.error.kind === 'timeout'
    ? new AppError('model_timeout', failure.error.publicMessage, {
        timeout_s: Math.round(timeoutMs / 1000),
        ...ctx,
      })
    : new AppError('model_error', failure.error.publicMessage, ctx);
}
