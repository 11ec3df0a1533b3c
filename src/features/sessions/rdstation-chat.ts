import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import { AppError, ConversationClosedError, invalidField, NotFoundError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import type { Runtime } from '../../services.js';
import {
  agentOutputFormat,
  getAgentOrThrow,
  getRunnableAgent,
  type AgentRow,
} from '../agents/agents.repo.js';
import type { OutputFormat } from '../agents/agents.service.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { setMessageFeedback, type MessageFeedback } from '../feedback/message-feedback.js';
import { FileTooLargeError, type FilesService } from '../files/files.service.js';
import { UrlFetchError, type PublicFetcher } from '../../platform/net/public-fetch.js';
import { IMAGE_TYPES, type FileRow } from '../files/files.types.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import { findLead, type LeadRow } from '../leads/leads.repo.js';
import type { ContentInput } from '../messages/content.js';
import type { MessageRow } from '../messages/messages.mapper.js';
import type { createTurns, Prepared, TurnMessageInput } from '../messages/turn.js';
import {
  discardEmptyConversation,
  findMessageOfAgent,
  insertRdConversation,
  updateRdLinks,
} from './rdstation-conversations.js';
import {
  effectiveStatus,
  findConversation,
  getConversationForPrincipal,
  type ConversationRow,
} from './sessions.repo.js';

/**
 * RD Station chat host (rdstation.md R1, R2): a send may open a conversation, append several
 * messages and get a reply through the one turn engine (features/messages/turn.ts).
 */

export interface RdAttachmentInput {
  url?: string;
  data?: string;
  name?: string;
  contentType?: string;
}

export interface RdMessageInput {
  role: 'user' | 'assistant' | 'system';
  content: string | null;
  /** Kept in the message metadata under NAME_KEY (Papo messages have no name column). */
  name: string | null;
  metadata: Record<string, unknown>;
  attachments: RdAttachmentInput[];
}

export interface RdSendInput {
  agentId: string;
  conversationId?: string;
  preview: boolean;
  utm?: Record<string, string>;
  leadId?: string;
  platformUserIdentifier?: string;
  /** `messages` then `message`, in order (at least one). */
  inputs: RdMessageInput[];
}

export interface RdSendResult {
  conversation: ConversationRow;
  status: 'active' | 'closed' | 'expired';
  stored: MessageRow[];
  reply: MessageRow | null;
  format: OutputFormat;
  lead: LeadRow | null;
  /** The files the stored messages name (attachments), by id. */
  files: Map<string, FileRow>;
}

/** Where an RD input message's `name` is kept, inside its metadata. */
export const NAME_KEY = 'rdstation_name';

export interface RdChatDeps {
  db: Db;
  clock: Clock;
  gateway: ModelGateway;
  runtime: Runtime;
  files: FilesService;
  fetchUrl: PublicFetcher;
  turns: ReturnType<typeof createTurns>;
}

export interface RdChatService {
  send(ctx: RequestContext, input: RdSendInput): Promise<RdSendResult>;
  /** R2: unauthenticated; the workspace is named in the path. */
  setFeedback(r: {
    workspaceId: string;
    agentId: string;
    messageId: string;
    value: MessageFeedback;
  }): Promise<{ message: MessageRow; format: OutputFormat; files: Map<string, FileRow> }>;
  /** Files named by these messages' blocks (attachments on the RD wire). */
  filesOf(workspaceId: string, rows: MessageRow[]): Promise<Map<string, FileRow>>;
}

export function createRdChatService(deps: RdChatDeps): RdChatService {
  const { db, clock, runtime, turns } = deps;

  /** Preview runs the draft: its model's provider must be configured (412 otherwise). */
  function assertModelUsable(agent: AgentRow): void {
    const model = agent.draft.model;
    const provider = model.slice(0, model.indexOf(':'));
    if (!deps.gateway.configuredProviders().includes(provider)) {
      throw new AppError('agent_unavailable', "The agent's AI model is not available on this server.", {
        agent_id: agent.id,
        status: 'no_model',
      });
    }
  }

  /** An https attachment's bytes (README §7: public addresses, 10 s, 25 MiB, ≤3 redirects). */
  async function download(url: string, path: string): Promise<{ data: Buffer; name: string }> {
    try {
      const result = await deps.fetchUrl(url);
      const name = decodeURIComponent(new URL(result.url).pathname.split('/').pop() || 'file');
      return { data: result.data, name };
    } catch (err) {
      if (err instanceof UrlFetchError && /larger than/.test(err.message)) throw new FileTooLargeError();
      const reason = err instanceof UrlFetchError ? err.message : 'the URL could not be fetched';
      throw invalidField(path, `could not be used: ${reason}`);
    }
  }

  /**
   * Attachments become workspace files before the turn (type from the bytes, README §7); the
   * source URL is kept in the file's metadata for the wire `url`.
   */
  async function contentOf(ctx: RequestContext, m: RdMessageInput, i: number): Promise<ContentInput> {
    const blocks: Exclude<ContentInput, string> = [];
    if (m.content !== null && m.content !== '') {
      if (m.attachments.length === 0) return m.content;
      blocks.push({ type: 'text', text: m.content });
    }
    for (const [j, a] of m.attachments.entries()) {
      const path = `messages[${i}].attachments[${j}]`;
      if ((a.url === undefined) === (a.data === undefined)) {
        throw invalidField(path, 'needs exactly one of url or data');
      }
      const fetched = a.url !== undefined ? await download(a.url, `${path}.url`) : undefined;
      const data = fetched?.data ?? Buffer.from(a.data ?? '', 'base64');
      if (data.length === 0) throw invalidField(path, 'is empty (or data is not base64)');
      const filename = a.name ?? fetched?.name;
      const file = await deps.files.uploadFile(ctx, {
        conversationId: null,
        data,
        ...(filename !== undefined && { filename }),
        ...(a.contentType !== undefined && { declaredType: a.contentType }),
        metadata: a.url !== undefined ? { source_url: a.url } : {},
      });
      const image = (IMAGE_TYPES as readonly string[]).includes(file.mime_type);
      blocks.push(image ? { type: 'image', file_id: file.id } : { type: 'file', file_id: file.id });
    }
    return blocks;
  }

  function checkInputs(inputs: RdMessageInput[]): void {
    if (inputs.length === 0) throw invalidField('message', 'send message or a non-empty messages');
    for (const [i, m] of inputs.entries()) {
      assertJsonSize(`messages[${i}].metadata`, m.metadata);
      if ((m.content === null || m.content === '') && m.attachments.length === 0) {
        throw invalidField(`messages[${i}].content`, 'may be empty only when attachments are sent');
      }
    }
  }

  async function filesOf(workspaceId: string, rows: MessageRow[]): Promise<Map<string, FileRow>> {
    const ids = rows.flatMap((r) =>
      r.content.flatMap((b: ContentBlock) => {
        if (b.type === 'image' && 'url' in b) return b._file_id ? [b._file_id] : [];
        return b.type === 'image' || b.type === 'file' ? [b.file_id] : [];
      }),
    );
    return ids.length > 0 ? deps.files.findFiles(workspaceId, ids) : new Map();
  }

  return {
    filesOf,

    async send(ctx, input) {
      requireScope(ctx.principal, 'agent:run');
      assertAgentAllowed(ctx.principal, input.agentId);
      const workspaceId = workspaceOf(ctx);
      checkInputs(input.inputs);
      const agent = await getAgentOrThrow(db, workspaceId, input.agentId);
      let existing: ConversationRow | undefined;
      if (input.conversationId !== undefined) {
        existing = await getConversationForPrincipal(db, ctx.principal, input.conversationId, 'conversation');
        if (existing.agentId !== agent.id) throw new NotFoundError('conversation', input.conversationId);
      }
      if (input.leadId !== undefined && !(await findLead(db, workspaceId, input.leadId))) {
        throw invalidField('leadId', 'names no lead of this workspace');
      }
      if (existing) {
        const status = effectiveStatus(existing, clock.now());
        if (status !== 'active') throw new ConversationClosedError(existing.id, status);
      }
      const draft = existing ? existing.isTest : input.preview;
      if (draft) assertModelUsable(agent);
      else if (!existing) await getRunnableAgent(db, workspaceId, agent.id);

      const contents: ContentInput[] = [];
      for (const [i, m] of input.inputs.entries()) contents.push(await contentOf(ctx, m, i));
      const creates: TurnMessageInput[] = input.inputs.map((m, i) => ({
        role: m.role,
        content: contents[i]!,
        metadata: m.name !== null ? { ...m.metadata, [NAME_KEY]: m.name } : m.metadata,
      }));

      const conversation =
        existing ??
        (await insertRdConversation(db, {
          workspaceId,
          agent,
          isTest: input.preview,
          utm: input.utm ?? null,
          leadId: input.leadId ?? null,
          externalUserId: input.platformUserIdentifier ?? null,
          now: clock.now(),
        }));
      let prepared: Prepared;
      try {
        prepared = await turns.prepare(ctx, conversation.id, creates.at(-1)!, {
          preceding: creates.slice(0, -1),
          draftForTestConversations: true,
          withSystemMessages: true,
        });
      } catch (err) {
        if (!existing) await discardEmptyConversation(db, conversation.id);
        throw err;
      }
      if (existing) {
        await updateRdLinks(db, existing.id, {
          ...(input.leadId !== undefined && { leadId: input.leadId }),
          ...(input.platformUserIdentifier !== undefined && { externalUserId: input.platformUserIdentifier }),
        });
      }
      const rows = await runtime.tracker.track(turns.runTurn(prepared, undefined, undefined));
      const fresh = (await findConversation(db, conversation.id)) ?? conversation;
      const lead = fresh.leadId ? ((await findLead(db, workspaceId, fresh.leadId)) ?? null) : null;
      const all = rows.reply ? [...rows.stored, rows.reply] : rows.stored;
      return {
        conversation: fresh,
        status: effectiveStatus(fresh, clock.now()),
        stored: rows.stored,
        reply: rows.reply,
        format: rows.format,
        lead,
        files: await filesOf(workspaceId, all),
      };
    },

    async setFeedback(r) {
      if (!isUuid(r.workspaceId) || !isUuid(r.agentId) || !isUuid(r.messageId)) {
        throw new NotFoundError('message', r.messageId);
      }
      const found = await findMessageOfAgent(db, r);
      if (!found) throw new NotFoundError('message', r.messageId);
      if (found.role !== 'assistant') throw invalidField('id', 'feedback is for agent messages only');
      let message = found;
      // the same value again is a no-op (updatedAt stays)
      if (found.feedback !== r.value) {
        const result = await setMessageFeedback(db, {
          workspaceId: r.workspaceId,
          messageId: r.messageId,
          conversationId: found.conversationId,
          value: r.value,
          at: clock.now(),
        });
        if (!result.ok) throw new NotFoundError('message', r.messageId);
        message = result.message;
      }
      return {
        message,
        format: await agentOutputFormat(db, r.agentId),
        files: await filesOf(r.workspaceId, [message]),
      };
    },
  };
}
