import type { Db, DbOrTx } from '../../platform/db/client.js';
import { usageRecords } from '../../platform/db/schema/index.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { AgentRow, AgentVersionRow } from '../agents/agents.repo.js';
import type { GenerationFailure, GenerationSuccess } from './generate.js';
import type { MessageRow } from './messages.mapper.js';
import { insertMessage, type NewUsageRecord } from './messages.repo.js';

interface UsageOf {
  workspaceId: string;
  agentId: string;
  conversationId: string | null;
  messageId: string | null;
  outcome: GenerationSuccess;
  at: Date;
}

/** One row per generation, persisted or not; the usage endpoint sums these. */
export async function recordUsage(db: DbOrTx, r: UsageOf): Promise<void> {
  await db.insert(usageRecords).values(usageRow(r));
}

function usageRow(r: UsageOf): NewUsageRecord {
  return {
    id: newId(),
    workspaceId: r.workspaceId,
    agentId: r.agentId,
    conversationId: r.conversationId,
    messageId: r.messageId,
    model: r.outcome.model,
    inputTokens: r.outcome.usage.inputTokens,
    outputTokens: r.outcome.usage.outputTokens,
    cachedTokens: r.outcome.usage.cachedTokens,
    costMicroUsd: r.outcome.costMicroUsd,
    createdAt: r.at,
  };
}

/** Ids reserved for tool messages before the reply's own, so listings show them before it. */
const TOOL_ID_BLOCK = 16;

/**
 * Ids for a generation's messages, in order: `toolIds` for the internal tool messages of its
 * tool calls (when tools are offered), then the reply's (already sent with its deltas).
 */
export function generationIds(withTools: boolean): { toolIds: string[]; replyId: string } {
  const toolIds = withTools ? Array.from({ length: TOOL_ID_BLOCK }, () => newId()) : [];
  return { toolIds, replyId: newId() };
}

/**
 * Stores the assistant reply of a generation (a `failed` one keeps any partial text) and its
 * usage. Stored even when the conversation was terminated meanwhile (quintus.md P4).
 */
export async function storeReply(
  db: Db,
  r: {
    workspaceId: string;
    conversationId: string;
    agent: AgentRow;
    version: AgentVersionRow;
    replyId: string;
    /** From generationIds: the tool messages' ids (a 17th call onward gets a later id). */
    toolIds?: string[];
    outcome: GenerationSuccess | GenerationFailure;
    at: Date;
  },
): Promise<MessageRow> {
  const o = r.outcome;
  // each tool call the model made is an internal `tool` message (quintus.md §5.2, tool_result)
  for (const [i, call] of (o.ok ? o.toolCalls : []).entries()) {
    await insertMessage(
      db,
      {
        id: r.toolIds?.[i] ?? newId(),
        workspaceId: r.workspaceId,
        conversationId: r.conversationId,
        role: 'tool',
        content: [
          {
            type: 'tool_result',
            tool_call_id: call.toolCallId,
            name: call.name,
            arguments: call.arguments,
            ...(call.error ? { error: call.error } : { result: call.result ?? null }),
          },
        ],
        status: 'completed',
        metadata: {},
        createdAt: r.at,
      },
      { requireActive: false, idleTtlSeconds: r.agent.idleTtlSeconds, visible: false },
    );
  }
  const reply = await insertMessage(
    db,
    {
      id: r.replyId,
      workspaceId: r.workspaceId,
      conversationId: r.conversationId,
      role: 'assistant',
      content: o.text ? [{ type: 'text', text: o.text }] : [],
      status: o.ok ? o.status : 'failed',
      metadata: {},
      model: o.model,
      agentVersion: r.version.version,
      inputTokens: o.ok ? o.usage.inputTokens : null,
      outputTokens: o.ok ? o.usage.outputTokens : null,
      cachedTokens: o.ok ? o.usage.cachedTokens : null,
      costMicroUsd: o.ok ? o.costMicroUsd : null,
      durationMs: o.durationMs,
      errorDetail: o.ok ? null : o.error.detail.slice(0, 2000),
      createdAt: r.at,
    },
    {
      requireActive: false,
      idleTtlSeconds: r.agent.idleTtlSeconds,
      visible: true,
      // the usage row commits with the reply: both or neither
      ...(o.ok && {
        usage: usageRow({
          workspaceId: r.workspaceId,
          agentId: r.agent.id,
          conversationId: r.conversationId,
          messageId: r.replyId,
          outcome: o,
          at: r.at,
        }),
      }),
    },
  );
  if (!reply) throw new AppError('internal_error', 'conversation vanished while generating');
  return reply;
}
