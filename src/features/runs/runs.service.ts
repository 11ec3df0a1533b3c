import type { ContentBlock } from '../../platform/db/schema/index.js';
import { ServiceUnavailableError, ValidationError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { getRunnableAgent } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import {
  assignFetchedIds,
  normaliseContent,
  storeFetchedImages,
  type FetchedImage,
} from '../messages/content.js';
import { generate, generationError } from '../messages/generate.js';
import { toMessage, type Message } from '../messages/messages.mapper.js';
import type { MessageCreateInput, MessagesDeps } from '../messages/messages.service.js';
import { firstText, insertMessage } from '../messages/messages.repo.js';
import { toModelMessages, type HistoryItem } from '../messages/model-input.js';
import { generationIds, recordUsage, storeReply } from '../messages/reply.js';
import { agentTools } from '../messages/tools.js';
import { buildSystemContext } from '../messages/system-context.js';
import { abilitiesSystemBlock } from '../abilities/abilities.js';
import { agentInstructionLines } from '../leads/lead-capture.js';
import { insertSession } from '../sessions/sessions.repo.js';
import { resolveSessionUser, type SessionUserRef } from '../users/users.service.js';

export interface RunInput {
  messages: MessageCreateInput[];
  user?: SessionUserRef;
  context?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  persist?: boolean;
}

export interface RunResult {
  agent_message: Message;
  session_id: string | null;
}

export interface RunsService {
  /** A17: one generation after the given messages; `persist: false` stores nothing but usage. */
  runAgent(ctx: RequestContext, agentId: string, input: RunInput, onStarted?: () => void): Promise<RunResult>;
}

export function createRunsService(deps: MessagesDeps): RunsService {
  const { db, clock, config, runtime, files } = deps;
  const timeoutMs = config.runtime.modelTimeoutMs;

  return {
    async runAgent(ctx, agentId, input, onStarted) {
      requireScope(ctx.principal, 'agent:run');
      if (runtime.tracker.isDraining) throw new ServiceUnavailableError();
      assertAgentAllowed(ctx.principal, agentId);
      const last = input.messages[input.messages.length - 1];
      if ((last?.role ?? 'user') !== 'user') {
        throw new ValidationError([
          {
            location: 'body',
            path: `messages[${input.messages.length - 1}].role`,
            message: 'the last message must have role user',
          },
        ]);
      }
      assertJsonSize('context', input.context);
      assertJsonSize('metadata', input.metadata);
      input.messages.forEach((m, i) => assertJsonSize(`messages[${i}].metadata`, m.metadata));
      const workspaceId = workspaceOf(ctx);
      const { agent, version } = await getRunnableAgent(db, workspaceId, agentId);
      const user = input.user ? await resolveSessionUser(db, workspaceId, input.user) : null;
      const items: Array<HistoryItem & { metadata: Record<string, unknown> }> = [];
      const fetched = new Map<ContentBlock, FetchedImage>();
      for (const [i, m] of input.messages.entries()) {
        const content = await normaliseContent(m.content, {
          files,
          fetchUrl: deps.fetchUrl,
          workspaceId,
          path: `messages[${i}].content`,
        });
        for (const [block, img] of content.fetched) fetched.set(block, img);
        items.push({ role: m.role ?? 'user', content: content.blocks, metadata: m.metadata ?? {} });
      }
      if (agent.rateLimits.requests_per_minute)
        await ctx.charge(`agent:${agent.id}`, agent.rateLimits.requests_per_minute);
      const context = input.context ?? {};
      const persist = input.persist ?? true;

      const work = async (): Promise<RunResult> => {
        let sessionId: string | null = null;
        if (persist) {
          const now = clock.now();
          const session = await insertSession(db, {
            workspaceId,
            agent,
            user,
            context,
            metadata: input.metadata ?? {},
            now,
          });
          sessionId = session.id;
          assignFetchedIds(fetched);
          for (const item of items) {
            await insertMessage(
              db,
              {
                id: newId(),
                workspaceId,
                conversationId: sessionId,
                role: item.role,
                content: item.content,
                status: 'completed',
                metadata: item.metadata,
                createdAt: clock.now(),
              },
              {
                requireActive: false,
                idleTtlSeconds: agent.idleTtlSeconds,
                visible: true,
                title: item.role === 'user' ? firstText(item.content) : undefined,
              },
            );
          }
          await storeFetchedImages(files, workspaceId, sessionId, fetched);
        }
        onStarted?.();
        const tools = await agentTools({ db, workspaceId, agent, conversationId: sessionId });
        const { toolIds, replyId } = generationIds(Object.keys(tools).length > 0);
        const outcome = await generate(
          { gateway: deps.gateway, prices: runtime.prices },
          {
            agent,
            version,
            system: buildSystemContext({
              instructions: version.instructions,
              context,
              user,
              abilities: abilitiesSystemBlock(agent),
              agentLines: agentInstructionLines(agent),
            }),
            // stored copies when persisted; the fetched bytes themselves when nothing is stored
            messages: await toModelMessages(
              items.slice(-agent.historyLimit),
              files,
              workspaceId,
              persist ? undefined : fetched,
            ),
            replyId,
            timeoutMs,
            tools,
          },
        );
        const at = clock.now();
        if (sessionId) {
          const reply = await storeReply(db, {
            toolIds,
            workspaceId,
            conversationId: sessionId,
            agent,
            version,
            replyId,
            outcome,
            at,
          });
          if (!outcome.ok) throw generationError(outcome, timeoutMs, reply.id);
          return { agent_message: toMessage(reply, agent.outputFormat), session_id: sessionId };
        }
        if (!outcome.ok) throw generationError(outcome, timeoutMs);
        await recordUsage(db, {
          workspaceId,
          agentId: agent.id,
          conversationId: null,
          messageId: null,
          outcome,
          at,
        });
        const message = toMessage(
          {
            id: replyId,
            workspaceId,
            conversationId: replyId,
            role: 'assistant',
            content: outcome.text ? [{ type: 'text', text: outcome.text }] : [],
            status: outcome.status,
            metadata: {},
            model: outcome.model,
            agentVersion: version.version,
            inputTokens: outcome.usage.inputTokens,
            outputTokens: outcome.usage.outputTokens,
            cachedTokens: outcome.usage.cachedTokens,
            costMicroUsd: outcome.costMicroUsd,
            durationMs: outcome.durationMs,
            errorDetail: null,
            createdAt: at,
            feedback: null,
            feedbackAt: null,
          },
          agent.outputFormat,
        );
        return { agent_message: message, session_id: null };
      };
      return runtime.tracker.track(work());
    },
  };
}
