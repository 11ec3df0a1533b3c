import type { GatewayTool } from '../../platform/llm/gateway.js';
import type { ToolProvider } from '../messages/tools.js';
import { linkedKnowledgeBaseIds } from './knowledge-bases.service.js';
import { missingKnowledgeBaseIds } from './knowledge.repo.js';
import { searchKnowledge } from './search.js';

export const KNOWLEDGE_SEARCH_TOOL = 'knowledge_search';

const DEFAULT_RESULTS = 5;
const MAX_RESULTS = 10;
/** Long manual records are cut for the model; file chunks are ≤4,000 characters already. */
const MAX_PASSAGE_CHARS = 4000;

/**
 * README §8: agents linked to knowledge bases get `knowledge_search`, full-text retrieval over
 * the records of their live knowledge bases (Portuguese and English, ranked).
 */
export const knowledgeSearchTools: ToolProvider = async (ctx): Promise<Record<string, GatewayTool>> => {
  const linked = linkedKnowledgeBaseIds(ctx.agent);
  if (linked.length === 0) return {};
  const missing = new Set(await missingKnowledgeBaseIds(ctx.db, ctx.workspaceId, linked));
  const live = linked.filter((id) => !missing.has(id));
  if (live.length === 0) return {};
  const tool: GatewayTool = {
    description:
      'Searches the knowledge bases of this assistant (documents, FAQs, policies, product data) ' +
      'and returns the most relevant passages, best first. Use it before answering questions ' +
      'about facts you are not sure of. Query with the key words of the question, in the ' +
      "user's language (Portuguese or English).",
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 1000, description: 'Key words to look for.' },
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_RESULTS,
          description: `How many passages to return (default ${DEFAULT_RESULTS}).`,
        },
      },
      required: ['query'],
      additionalProperties: false,
    },
    async execute(args) {
      const query = typeof args['query'] === 'string' ? args['query'] : '';
      if (query.trim() === '') throw new Error('query must be a non-empty string');
      const requested = typeof args['limit'] === 'number' ? Math.trunc(args['limit']) : DEFAULT_RESULTS;
      const hits = await searchKnowledge(ctx.db, {
        workspaceId: ctx.workspaceId,
        knowledgeBaseIds: live,
        query,
        limit: Math.min(Math.max(requested, 1), MAX_RESULTS),
      });
      return {
        results: hits.map((h) => ({
          title: h.title,
          text: h.text.length > MAX_PASSAGE_CHARS ? `${h.text.slice(0, MAX_PASSAGE_CHARS)}…` : h.text,
          knowledge_base: h.knowledgeBaseName,
          record_id: h.id,
          score: Math.round(h.score * 10_000) / 10_000,
        })),
      };
    },
  };
  return { [KNOWLEDGE_SEARCH_TOOL]: tool };
};
