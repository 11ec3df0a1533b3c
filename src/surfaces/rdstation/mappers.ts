import type { AgentRow } from '../../features/agents/agents.repo.js';
import type { OutputFormat } from '../../features/agents/agents.service.js';
import type { FileRow } from '../../features/files/files.types.js';
import { leadSettingsOf } from '../../features/leads/lead-capture.js';
import type { LeadRow } from '../../features/leads/leads.repo.js';
import type { MessageRow } from '../../features/messages/messages.mapper.js';
import { textOf } from '../../features/messages/messages.mapper.js';
import { NAME_KEY } from '../../features/sessions/rdstation-chat.js';
import type { ConversationRow } from '../../features/sessions/sessions.repo.js';
import type { ContentBlock } from '../../platform/db/schema/index.js';
import { renderReply } from '../../platform/text/render.js';
import { DEFAULT_BEHAVIOR, type RdAgentStatus } from './agents.service.js';

/** Wire shapes of rdstation.md §3, from Papo rows. */

const iso = (d: Date) => d.toISOString();

export interface RdAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  url: string | null;
}

export interface RdMessage {
  id: string;
  conversationId: string;
  role: 'user' | 'assistant' | 'system';
  usage: { promptTokens: number; completionTokens: number; cachedTokens: number } | null;
  name: string | null;
  content: string | null;
  toolCallId: null;
  toolCalls: null;
  metadata: Record<string, unknown>;
  feedback: 'positive' | 'negative' | null;
  attachments: RdAttachment[];
  createdAt: string;
  updatedAt: string;
}

function attachmentsOf(blocks: ContentBlock[], files: Map<string, FileRow>): RdAttachment[] {
  const out: RdAttachment[] = [];
  for (const b of blocks) {
    if (b.type !== 'image' && b.type !== 'file') continue;
    const id = 'url' in b ? b._file_id : b.file_id;
    const file = id !== undefined ? files.get(id) : undefined;
    if (!file) continue; // deleted since (README §7: dangling blocks)
    const source = file.metadata['source_url'];
    const url = 'url' in b ? b.url : typeof source === 'string' ? source : null;
    out.push({ id: file.id, name: file.name, contentType: file.mimeType, size: file.size, url });
  }
  return out;
}

/** §3.1 Message; assistant text rendered in `format` (README §9). */
export function toRdMessage(row: MessageRow, format: OutputFormat, files: Map<string, FileRow>): RdMessage {
  const { [NAME_KEY]: name, ...metadata } = row.metadata;
  const text = textOf(row.content);
  const rendered = row.role === 'assistant' && format !== 'markdown' ? renderReply(text, format) : text;
  const hasText = row.content.some((b) => b.type === 'text');
  return {
    id: row.id,
    conversationId: row.conversationId,
    role: row.role === 'tool' ? 'system' : row.role,
    usage:
      row.inputTokens !== null && row.outputTokens !== null
        ? {
            promptTokens: row.inputTokens,
            completionTokens: row.outputTokens,
            cachedTokens: row.cachedTokens ?? 0,
          }
        : null,
    name: typeof name === 'string' ? name : null,
    content: hasText ? rendered : null,
    toolCallId: null,
    toolCalls: null,
    metadata,
    feedback: row.feedback,
    attachments: attachmentsOf(row.content, files),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.feedbackAt ?? row.createdAt),
  };
}

/** R4's legacy message items. */
export function toLegacyMessage(row: MessageRow, format: OutputFormat) {
  const { [NAME_KEY]: _name, ...metadata } = row.metadata;
  const text = textOf(row.content);
  return {
    id: row.id,
    conversationId: row.conversationId,
    from: row.role === 'user' ? ('lead' as const) : ('agent' as const),
    text: row.role === 'assistant' && format !== 'markdown' ? renderReply(text, format) : text,
    intent: null,
    metadata,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.feedbackAt ?? row.createdAt),
  };
}

/** §3.2 Lead. */
export function toRdLead(row: LeadRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    agentId: row.agentId,
    name: row.name,
    email: row.email,
    phone: row.phone,
    company: row.company,
    site: row.site,
    custom: row.custom,
    utm: row.utm,
    capture: row.capture,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
export type RdLead = ReturnType<typeof toRdLead>;

export type RdConversationStatus = 'active' | 'finished';
export const rdStatus = (s: 'active' | 'closed' | 'expired'): RdConversationStatus =>
  s === 'active' ? 'active' : 'finished';

/** §3.3 ConversationItem. `leadFields`: the agent's lead fields (stage). */
export function toConversationItem(
  row: ConversationRow,
  status: 'active' | 'closed' | 'expired',
  lead: LeadRow | null,
  leadFields: readonly string[],
) {
  return {
    id: row.id,
    agentId: row.agentId,
    workspaceId: row.workspaceId,
    title: row.title,
    channelId: null,
    platform: row.channel,
    platformUserIdentifier: row.externalUserId,
    context: row.context,
    leadId: lead ? lead.id : null,
    stage: leadFields.length > 0 && lead?.capture !== 'completed' ? 'identify' : 'operational',
    preview: row.isTest,
    summary: null,
    status: rdStatus(status),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    lead: lead ? toRdLead(lead) : null,
  };
}

const rdAgentStatus = (s: AgentRow['status']): RdAgentStatus =>
  s === 'active' ? 'online' : s === 'draft' ? 'draft' : 'offline';

function rdExtras(a: AgentRow): Record<string, unknown> {
  const r = a.extras['rdstation'];
  return r && typeof r === 'object' ? (r as Record<string, unknown>) : {};
}

/** §3.4 Agent (list items and R11); `fields` and `forceLeadIdentification` included (additive). */
export function toRdAgent(a: AgentRow) {
  const rd = rdExtras(a);
  const lead = leadSettingsOf(a);
  const off = a.extras['fallback_message'];
  return {
    id: a.id,
    name: a.name,
    workspaceId: a.workspaceId,
    createdBy: null,
    updatedBy: null,
    description: a.description,
    avatar: (rd['avatar'] as Record<string, unknown> | null | undefined) ?? null,
    color: typeof rd['color'] === 'string' ? rd['color'] : '#ff5722',
    welcome: a.greeting,
    instructions: a.draft.instructions,
    off: typeof off === 'string' ? off : null,
    references: rd['references'] === true,
    purpose: typeof rd['purpose'] === 'string' ? rd['purpose'] : 'general',
    freedom: typeof rd['freedom'] === 'string' ? rd['freedom'] : 'restricted',
    behavior_type: typeof rd['behavior_type'] === 'string' ? rd['behavior_type'] : 'basic',
    status: rdAgentStatus(a.status),
    fields: lead.fields,
    left: rd['left'] === true,
    forceLeadIdentification: lead.force,
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

/** §3.4 AgentDetail (R12). */
export function toRdAgentDetail(a: AgentRow) {
  const rd = rdExtras(a);
  const kbs = a.extras['knowledge_base_ids'];
  const destinations = Array.isArray(rd['destinations'])
    ? (rd['destinations'] as Array<Record<string, unknown>>)
    : [];
  return {
    ...toRdAgent(a),
    kbs: Array.isArray(kbs) ? kbs.filter((k): k is string => typeof k === 'string') : [],
    destinations: destinations.map((d) => ('credentials' in d ? { ...d, credentials: {} } : d)),
    customFields: Array.isArray(rd['customFields']) ? rd['customFields'] : [],
    behavior: (rd['behavior'] as Record<string, unknown> | undefined) ?? DEFAULT_BEHAVIOR,
    agentPlugins: [],
  };
}

/** §1.1 envelope meta. */
export function pageMeta(total: number, page: number, size: number) {
  const last = Math.max(1, Math.ceil(total / size));
  return {
    total,
    page,
    size,
    first: 1,
    last,
    next: page < last ? page + 1 : null,
    previous: page > 1 ? page - 1 : null,
  };
}
