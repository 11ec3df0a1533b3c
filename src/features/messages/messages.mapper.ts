import type { ContentBlock, messages } from '../../platform/db/schema/index.js';
import { microToUsd } from '../../platform/llm/prices.js';
import { renderReply } from '../../platform/text/render.js';
import type { OutputFormat } from '../agents/agents.service.js';

export type MessageRow = Omit<typeof messages.$inferSelect, 'searchText'>;
export type MessageRole = MessageRow['role'];
export type MessageStatus = MessageRow['status'];

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

/** quintus.md §5.3 Message. */
export interface Message {
  id: string;
  role: MessageRole;
  content: ContentBlock[];
  created_at: string;
  metadata: Record<string, unknown>;
  status: MessageStatus;
  usage: Usage | null;
  model: string | null;
  cost_usd: number | null;
}

export function usageOf(
  row: Pick<MessageRow, 'inputTokens' | 'outputTokens' | 'cachedTokens'>,
): Usage | null {
  if (row.inputTokens === null || row.outputTokens === null) return null;
  return {
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_tokens: row.cachedTokens ?? 0,
    total_tokens: row.inputTokens + row.outputTokens,
  };
}

/**
 * Stored replies are Markdown; complete assistant texts are rendered in the agent's output
 * format on the way out (README §9). Stream deltas are never rendered.
 */
export function toMessage(row: MessageRow, format: OutputFormat = 'markdown'): Message {
  const content = row.content.map((b): ContentBlock => {
    if (b.type === 'text' && row.role === 'assistant' && format !== 'markdown') {
      return { ...b, text: renderReply(b.text, format) };
    }
    if (b.type === 'image' && 'url' in b) return { type: 'image', url: b.url };
    return b;
  });
  return {
    id: row.id,
    role: row.role,
    content,
    created_at: row.createdAt.toISOString(),
    metadata: row.metadata,
    status: row.status,
    usage: usageOf(row),
    model: row.model,
    cost_usd: microToUsd(row.costMicroUsd),
  };
}

export function textOf(blocks: ContentBlock[]): string {
  return blocks
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n\n');
}
