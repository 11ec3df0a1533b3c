import type { Config } from '../../config.js';
import type { Runtime } from '../../services.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { ConversationClosedError, ServiceUnavailableError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import {
  getRunnableAgentOfConversation,
  type AgentRow,
  type AgentVersionRow,
} from '../agents/agents.repo.js';
import { touchActiveConversation } from '../conversations/activity.js';
import type { RequestContext } from '../context.js';
import type { FilesService } from '../files/files.service.js';
import { requireScope } from '../keys/principal.js';
import { generate, generationError } from '../messages/generate.js';
import { toMessage, type Message, type MessageRow } from '../messages/messages.mapper.js';
import { insertMessage, loadHistory } from '../messages/messages.repo.js';
import { toModelMessages, type HistoryItem } from '../messages/model-input.js';
import { storeReply } from '../messages/reply.js';
import { buildSystemContext } from '../messages/system-context.js';
import { abilitiesSystemBlock } from '../abilities/abilities.js';
import {
  effectiveStatus,
  findConversation,
  getConversationForPrincipal,
  type ConversationRow,
  type ConversationStatus,
} from '../sessions/sessions.repo.js';
import { terminateConversation } from '../sessions/sessions.service.js';
import { getUserOrThrow } from '../users/users.service.js';

export type InactivityStep = 'warning' | 'final';

/** quintus.md §5.4 InactivityResult. */
export interface InactivityResult {
  step: InactivityStep;
  message: Message;
  conversation_status: ConversationStatus;
}

/** What the model follows when the agent has neither a fixed text nor its own instructions. */
export const BUILT_IN_INACTIVITY_INSTRUCTIONS: Record<InactivityStep, string> = {
  warning:
    'The user has not replied for a while. Write one short, friendly message, in the language of the conversation, checking whether they are still there and offering further help. Do not repeat earlier answers.',
  final:
    'The user has not replied for a while, so this conversation is ending. Write one short, friendly closing message, in the language of the conversation: thank them and say they can start a new conversation at any time. Ask no questions.',
};

/**
 * Most providers want the prompt to end with a user turn (a trailing assistant turn is a
 * prefill to continue). This marker stands in for the user's silence; it is never stored.
 */
export const SILENCE_MARKER = '[The user has not replied for a while.]';

export interface InactivityService {
  /** P5: the agent's nudge (`warning`) or closing message (`final`), stored as an assistant message. */
  sendInactivityMessage(
    ctx: RequestContext,
    conversationId: string,
    step: InactivityStep,
  ): Promise<InactivityResult>;
}

export function createInactivityService(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  gateway: ModelGateway;
  runtime: Runtime;
  files: FilesService;
}): InactivityService {
  const { db, clock, runtime, files } = deps;
  const timeoutMs = deps.config.runtime.modelTimeoutMs;

  async function closedError(c: ConversationRow): Promise<ConversationClosedError> {
    const fresh = await findConversation(db, c.id);
    return new ConversationClosedError(c.id, fresh ? effectiveStatus(fresh, clock.now()) : 'closed');
  }

  /** A fixed text is stored as is, conditionally on the conversation still being active. */
  async function storeFixed(c: ConversationRow, agent: AgentRow, text: string): Promise<MessageRow> {
    const row = await insertMessage(
      db,
      {
        id: newId(),
        workspaceId: c.workspaceId,
        conversationId: c.id,
        role: 'assistant',
        content: [{ type: 'text', text }],
        status: 'completed',
        metadata: {},
        createdAt: clock.now(),
      },
      { requireActive: true, idleTtlSeconds: agent.idleTtlSeconds, visible: true },
    );
    if (!row) throw await closedError(c);
    return row;
  }

  /** The model writes the message; the instruction goes into the system context only. */
  async function generateMessage(
    c: ConversationRow,
    agent: AgentRow,
    version: AgentVersionRow,
    instruction: string,
  ): Promise<MessageRow> {
    // the turn starts only while the conversation is active (the request itself is activity)
    if (!(await touchActiveConversation(db, c.id, clock.now()))) throw await closedError(c);
    const history: HistoryItem[] = (await loadHistory(db, c.id, agent.historyLimit)).map((m) => ({
      role: m.role as 'user' | 'assistant',
      content: m.content,
    }));
    if (history.at(-1)?.role !== 'user') {
      history.push({ role: 'user', content: [{ type: 'text', text: SILENCE_MARKER }] });
    }
    const user = c.userId ? await getUserOrThrow(db, c.workspaceId, c.userId).catch(() => null) : null;
    const system = [
      buildSystemContext({
        instructions: version.instructions,
        context: c.context,
        user,
        abilities: abilitiesSystemBlock(agent),
      }),
      `<inactivity_instruction>\n${instruction}\n</inactivity_instruction>`,
    ].join('\n\n');
    const replyId = newId();
    const outcome = await generate(
      { gateway: deps.gateway, prices: runtime.prices },
      {
        agent,
        version,
        system,
        messages: await toModelMessages(history, files, c.workspaceId),
        replyId,
        timeoutMs,
      },
    );
    const reply = await storeReply(db, {
      workspaceId: c.workspaceId,
      conversationId: c.id,
      agent,
      version,
      replyId,
      outcome,
      at: clock.now(),
    });
    if (!outcome.ok) throw generationError(outcome, timeoutMs, reply.id);
    return reply;
  }

  /** Runs in the conversation's turn: the agent is re-read, as a send's turn does. */
  async function runStep(c: ConversationRow, step: InactivityStep): Promise<InactivityResult> {
    const { agent, version } = await getRunnableAgentOfConversation(db, c);
    const settings = agent.inactivity;
    const fixed = step === 'warning' ? settings.warning_message : settings.final_message;
    const own = step === 'warning' ? settings.warning_instructions : settings.final_instructions;
    const row = fixed?.trim()
      ? await storeFixed(c, agent, fixed)
      : await generateMessage(c, agent, version, own?.trim() ? own : BUILT_IN_INACTIVITY_INSTRUCTIONS[step]);

    let status: ConversationStatus;
    if (step === 'final' && settings.close_on_final) {
      await terminateConversation(db, c, 'inactivity', clock.now());
      status = 'closed';
    } else {
      const fresh = await findConversation(db, c.id);
      status = fresh ? effectiveStatus(fresh, clock.now()) : 'closed';
    }
    return { step, message: toMessage(row, agent.outputFormat), conversation_status: status };
  }

  return {
    async sendInactivityMessage(ctx, conversationId, step) {
      requireScope(ctx.principal, 'agent:run');
      if (runtime.tracker.isDraining) throw new ServiceUnavailableError();
      const conversation = await getConversationForPrincipal(
        db,
        ctx.principal,
        conversationId,
        'conversation',
      );
      const status = effectiveStatus(conversation, clock.now());
      if (status !== 'active') throw new ConversationClosedError(conversation.id, status);
      const { agent } = await getRunnableAgentOfConversation(db, conversation);
      if (agent.rateLimits.requests_per_minute)
        await ctx.charge(`agent:${agent.id}`, agent.rateLimits.requests_per_minute);
      // one generation at a time per conversation, in arrival order with sends (README §6.3)
      const turn = ctx.turn ?? runtime.queue.reserve(conversation.id);
      return runtime.tracker.track(turn.run(() => runStep(conversation, step)));
    },
  };
}
