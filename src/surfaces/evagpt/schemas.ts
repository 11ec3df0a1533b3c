import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Ability } from '../../features/abilities/abilities.js';
import type { Agent } from '../../features/agents/agents.service.js';
import type {
  KnowledgeBase,
  KnowledgeFile,
  KnowledgeRecord,
} from '../../features/knowledge/knowledge.types.js';
import type { EvaChatMessage, EvaConversation } from '../../features/sessions/evagpt-conversations.js';

/** Wire shapes of evagpt.md §3. Routes are hidden from the native OpenAPI document. */
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ format: 'date-time' });
export const FreeObject = Type.Record(Type.String(), Type.Unknown());

export const Bot = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  presentation: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const Conversation = Type.Object({
  id: Type.String(),
  botname: Type.String(),
  description: Type.String(),
  channel: Type.String(),
  survey: Type.Integer(),
  meta: FreeObject,
  botId: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ChatMessage = Type.Object({
  id: Type.String(),
  text: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  createdAt: Timestamp,
});

export const Ability_ = Type.Object({
  id: Type.String(),
  botId: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  instructions: Type.String(),
  createdAt: Timestamp,
});

export const Dataset = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  records: Type.Integer(),
  files: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const Record_ = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  title: Nullable(Type.String()),
  text: Type.String(),
  meta: FreeObject,
  fileId: Nullable(Type.String()),
  createdAt: Timestamp,
});

export const DatasetFile = Type.Object({
  id: Type.String(),
  datasetId: Type.String(),
  name: Type.String(),
  size: Type.Integer(),
  mimeType: Type.String(),
  status: Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]),
  records: Type.Integer(),
  error: Nullable(Type.String()),
  createdAt: Timestamp,
});

/** §1.2 query parameters shared by the paginated lists (E4, E15, E18). */
export const PageParams = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  currentPage: Type.Optional(Type.Integer({ minimum: 0 })),
  totalPages: Type.Optional(Type.Integer({ minimum: 0 })),
  total: Type.Optional(Type.Integer({ minimum: 0 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
};

export const PageFields = {
  total: Type.Integer(),
  currentPage: Type.Integer(),
  totalPages: Type.Integer(),
  cursor: Nullable(Type.String()),
};

export const TextBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 32_000 }) });

export function toBot(a: Agent): Static<typeof Bot> {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    presentation: a.greeting ?? '',
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}

export function toConversation(c: EvaConversation): Static<typeof Conversation> {
  return {
    id: c.row.id,
    botname: c.agentName,
    description: c.row.title,
    channel: c.row.channel,
    survey: c.survey ?? 0,
    meta: c.row.metadata,
    botId: c.row.agentId,
    createdAt: c.row.createdAt.toISOString(),
    updatedAt: c.row.updatedAt.toISOString(),
  };
}

export const FEEDBACK_OUT = { positive: 'like', negative: 'dislike' } as const;

export function toChatMessage(m: EvaChatMessage) {
  return {
    id: m.id,
    text: m.text,
    role: m.role,
    createdAt: m.createdAt.toISOString(),
    feedback: m.feedback ? FEEDBACK_OUT[m.feedback] : null,
  };
}

export function toAbility(a: Ability): Static<typeof Ability_> {
  return {
    id: a.id,
    botId: a.agentId,
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    createdAt: a.createdAt.toISOString(),
  };
}

export function toDataset(b: KnowledgeBase): Static<typeof Dataset> {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    records: b.records,
    files: b.files,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

export function toRecord(r: KnowledgeRecord): Static<typeof Record_> {
  return {
    id: r.id,
    datasetId: r.knowledgeBaseId,
    title: r.title,
    text: r.text,
    meta: r.meta,
    fileId: r.fileId,
    createdAt: r.createdAt.toISOString(),
  };
}

export function toDatasetFile(f: KnowledgeFile): Static<typeof DatasetFile> {
  return {
    id: f.id,
    datasetId: f.knowledgeBaseId,
    name: f.name,
    size: f.size,
    mimeType: f.mimeType,
    status: f.status,
    records: f.records,
    error: f.error,
    createdAt: f.createdAt.toISOString(),
  };
}
