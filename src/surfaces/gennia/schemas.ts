import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Wire schemas of the Gennia surface (gennia.md). Bodies reject unknown fields (§1). */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const FreeObject = () => Type.Record(Type.String(), Type.Unknown());
const strict = { additionalProperties: false } as const;
const Int32 = (o: { minimum?: number; maximum?: number; default?: number } = {}) =>
  Type.Integer({ maximum: 2_147_483_647, ...o });

// ---- §1.1 pagination --------------------------------------------------------------------

export const pageQuery = (defaultLimit = 20, maxLimit = 100) => ({
  page: Int32({ minimum: 1, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit }),
});

export const Paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer(),
    totalPages: Type.Integer(),
  });

export interface Paged<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
  totalPages: number;
}

export function paged<T>(items: T[], total: number, q: { page: number; limit: number }): Paged<T> {
  return { items, page: q.page, limit: q.limit, total, totalPages: Math.ceil(total / q.limit) };
}

export const offsetOf = (q: { page: number; limit: number }) => (q.page - 1) * q.limit;

// ---- §3 chat ----------------------------------------------------------------------------

export const Attachment = Type.Object(
  {
    base64: Type.Optional(Type.String()),
    filename: Type.Optional(Type.String({ maxLength: 512 })),
    mediaType: Type.Optional(Type.String({ maxLength: 255 })),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  strict,
);
export type Attachment = Static<typeof Attachment>;

export const SendMessageBody = Type.Object(
  {
    content: Type.Optional(Type.String({ maxLength: 32_000 })),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 10 })),
    conversationId: Type.Optional(Type.String({ format: 'uuid' })),
    externalUserId: Type.Optional(Type.String({ maxLength: 255 })),
    isTest: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(FreeObject()),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  },
  strict,
);
export type SendMessageBody = Static<typeof SendMessageBody>;

export const TokenUsage = Type.Object({
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  totalTokens: Type.Integer(),
});

export const PublicMessage = Type.Object({
  publicId: Type.String(),
  conversationPublicId: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('agent')]),
  content: Type.String(),
  sentAt: DateTime,
  model: Nullable(Type.String()),
  costOps: Type.Integer(),
  costUsd: Type.Number(),
  tokenUsage: Nullable(TokenUsage),
});
export type PublicMessage = Static<typeof PublicMessage>;

const conversationFields = {
  publicId: Type.String(),
  agentPublicId: Type.String(),
  channel: Type.String(),
  externalUserId: Nullable(Type.String()),
  isEnded: Type.Boolean(),
  isPaused: Type.Boolean(),
  isTest: Type.Boolean(),
  lastMessageAt: Nullable(DateTime),
  messageCount: Type.Integer(),
  startedAt: DateTime,
};
export const PublicConversation = Type.Object({ ...conversationFields, metadata: FreeObject() });
export type PublicConversation = Static<typeof PublicConversation>;
export const PublicConversationListItem = Type.Object({
  ...conversationFields,
  lastMessageSnippet: Type.String(),
});
export type PublicConversationListItem = Static<typeof PublicConversationListItem>;

export const PublicMessageResponse = Type.Object({
  conversation: PublicConversation,
  durationMs: Type.Integer(),
  message: PublicMessage,
});

const QueryBool = Type.Boolean();
export const ConversationListQuery = Type.Object({
  ...pageQuery(),
  agentPublicId: Type.Optional(Type.String({ format: 'uuid' })),
  externalUserId: Type.Optional(Type.String({ maxLength: 255 })),
  channel: Type.Optional(Type.Union(['api', 'web_chat', 'whatsapp', 'z_api'].map((c) => Type.Literal(c)))),
  isTest: Type.Optional(QueryBool),
  isEnded: Type.Optional(QueryBool),
  since: Type.Optional(DateTime),
  until: Type.Optional(DateTime),
});
export type ConversationListQuery = Static<typeof ConversationListQuery>;

export const MessageListQuery = Type.Object({
  ...pageQuery(50, 200),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('agent')])),
});
export type MessageListQuery = Static<typeof MessageListQuery>;

export const Health = Type.Object({
  status: Type.Literal('ok'),
  workspacePublicId: Type.String(),
  apiKeyPublicId: Type.String(),
});

// ---- §4 agents --------------------------------------------------------------------------

export const AgentStatus = Type.Union(
  ['draft', 'active', 'inactive', 'archived'].map((s) => Type.Literal(s)),
);
const ThinkingEffort = Type.Union(['low', 'medium', 'high'].map((s) => Type.Literal(s)));
const DelayType = Type.Union(['LOW', 'MEDIUM', 'HIGH', 'RANDOM'].map((s) => Type.Literal(s)));
const AvatarUrl = Type.String({ maxLength: 1024, pattern: '^https?://.+' });
const Categories = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 10 });
const HHMMSS = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$' });

export const CreateAgentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 150 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    categories: Type.Optional(Categories),
    avatarUrl: Type.Optional(AvatarUrl),
  },
  strict,
);
export type CreateAgentBody = Static<typeof CreateAgentBody>;

/** Versioned settings that Papo stores and returns without runtime effect (gennia.md §4.5). */
export const storedSettings = {
  dynamicPromptEnabled: Type.Optional(Nullable(Type.Boolean())),
  followUpEnabled: Type.Optional(Nullable(Type.Boolean())),
  followUpAfterHours: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 720 }))),
  followUpInactivityMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1440 }))),
  followUpIntervalMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10_080 }))),
  followUpMaxAttempts: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10 }))),
  followUpPrompt: Type.Optional(Nullable(Type.String({ maxLength: 200_000 }))),
  followUpBusinessHoursStart: Type.Optional(Nullable(HHMMSS)),
  followUpBusinessHoursEnd: Type.Optional(Nullable(HHMMSS)),
  messageSplittingEnabled: Type.Optional(Nullable(Type.Boolean())),
  messageDelayEnabled: Type.Optional(Nullable(Type.Boolean())),
  messageDelayType: Type.Optional(Nullable(DelayType)),
  longTermMemoryEnabled: Type.Optional(Nullable(Type.Boolean())),
  memoryCustomInstructions: Type.Optional(Nullable(Type.String({ maxLength: 200_000 }))),
  sandboxEnabled: Type.Optional(Nullable(Type.Boolean())),
  genuiEnabled: Type.Optional(Nullable(Type.Boolean())),
  webSearchEnabled: Type.Optional(Nullable(Type.Boolean())),
  audioListeningEnabled: Type.Optional(Nullable(Type.Boolean())),
  audioResponseEnabled: Type.Optional(Nullable(Type.Boolean())),
  ttsVoice: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
};
export const STORED_BOOLEANS = [
  'dynamicPromptEnabled',
  'followUpEnabled',
  'messageSplittingEnabled',
  'messageDelayEnabled',
  'longTermMemoryEnabled',
  'sandboxEnabled',
  'genuiEnabled',
  'webSearchEnabled',
  'audioListeningEnabled',
  'audioResponseEnabled',
] as const;
export const STORED_VALUES = [
  'followUpAfterHours',
  'followUpInactivityMinutes',
  'followUpIntervalMinutes',
  'followUpMaxAttempts',
  'followUpPrompt',
  'followUpBusinessHoursStart',
  'followUpBusinessHoursEnd',
  'messageDelayType',
  'memoryCustomInstructions',
  'ttsVoice',
] as const;

const modelFields = {
  aiModelPublicId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  thinkingEnabled: Type.Optional(Nullable(Type.Boolean())),
  thinkingEffort: Type.Optional(Nullable(ThinkingEffort)),
};

export const UpdateAgentBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 150 })),
    categories: Type.Optional(Categories),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    avatarUrl: Type.Optional(Nullable(AvatarUrl)),
    systemPrompt: Type.Optional(Nullable(Type.String({ maxLength: 200_000 }))),
    ...modelFields,
    ...storedSettings,
  },
  strict,
);
export type UpdateAgentBody = Static<typeof UpdateAgentBody>;

export const UpdateModelBody = Type.Object(modelFields, strict);
export type UpdateModelBody = Static<typeof UpdateModelBody>;

export const UpdatePromptBody = Type.Object(
  {
    systemPrompt: Type.Optional(Nullable(Type.String({ maxLength: 200_000 }))),
    dynamicPromptEnabled: Type.Optional(Nullable(Type.Boolean())),
  },
  strict,
);
export type UpdatePromptBody = Static<typeof UpdatePromptBody>;

export const PublishBody = Type.Object({ notes: Type.Optional(Type.String({ maxLength: 500 })) }, strict);
export const EmptyBody = Type.Object({}, strict);

const storedOut = {
  dynamicPromptEnabled: Type.Boolean(),
  followUpEnabled: Type.Boolean(),
  followUpAfterHours: Nullable(Type.Integer()),
  followUpInactivityMinutes: Nullable(Type.Integer()),
  followUpIntervalMinutes: Nullable(Type.Integer()),
  followUpMaxAttempts: Nullable(Type.Integer()),
  followUpPrompt: Nullable(Type.String()),
  followUpBusinessHoursStart: Nullable(Type.String()),
  followUpBusinessHoursEnd: Nullable(Type.String()),
  messageSplittingEnabled: Type.Boolean(),
  messageDelayEnabled: Type.Boolean(),
  messageDelayType: Nullable(Type.String()),
  longTermMemoryEnabled: Type.Boolean(),
  memoryCustomInstructions: Nullable(Type.String()),
  sandboxEnabled: Type.Boolean(),
  genuiEnabled: Type.Boolean(),
  webSearchEnabled: Type.Boolean(),
  audioListeningEnabled: Type.Boolean(),
  audioResponseEnabled: Type.Boolean(),
  ttsVoice: Nullable(Type.String()),
};
const runtimeOut = {
  aiModelPublicId: Nullable(Type.String()),
  aiModelName: Nullable(Type.String()),
  systemPrompt: Nullable(Type.String()),
  temperature: Nullable(Type.Number()),
  thinkingEnabled: Type.Boolean(),
  thinkingEffort: Nullable(Type.String()),
};

export const PublicAgentListItem = Type.Object({
  publicId: Type.String(),
  name: Type.String(),
  avatarUrl: Nullable(Type.String()),
  status: Type.String(),
  draftVersionNumber: Type.Integer(),
  publishedVersionNumber: Nullable(Type.Integer()),
  createdAt: DateTime,
  updatedAt: DateTime,
});

/** The stored-only settings as they are returned (booleans default false, others null). */
export type StoredSettingsOut = Static<typeof StoredSettingsOut>;
export const StoredSettingsOut = Type.Object(storedOut);

export const PublicAgent = Type.Object({
  publicId: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  avatarUrl: Nullable(Type.String()),
  categories: Type.Array(Type.String()),
  status: Type.String(),
  draftVersionNumber: Type.Integer(),
  publishedVersionNumber: Nullable(Type.Integer()),
  hasUnpublishedChanges: Type.Boolean(),
  hasExternalChannel: Type.Boolean(),
  ...runtimeOut,
  ...storedOut,
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type PublicAgent = Static<typeof PublicAgent>;

export type PublicAgentListItem = Static<typeof PublicAgentListItem>;

export const PublicAgentVersionListItem = Type.Object({
  versionNumber: Type.Integer(),
  notes: Nullable(Type.String()),
  createdAt: DateTime,
});

const EmptyList = Type.Array(Type.Unknown(), { maxItems: 0 });
export const PublicAgentVersionSnapshot = Type.Object({
  versionNumber: Type.Integer(),
  notes: Nullable(Type.String()),
  createdAt: DateTime,
  ...runtimeOut,
  ...storedOut,
  variablesSnapshot: FreeObject(),
  httpTools: EmptyList,
  knowledgeSources: EmptyList,
  skills: EmptyList,
  subAgents: EmptyList,
});

export type PublicAgentVersionSnapshot = Static<typeof PublicAgentVersionSnapshot>;
export type PublicAgentVersionListItem = Static<typeof PublicAgentVersionListItem>;

export const ModelCapabilities = Type.Object({
  contextWindow: Nullable(Type.Integer()),
  minTemperature: Nullable(Type.Number()),
  maxTemperature: Nullable(Type.Number()),
  supportsTemperature: Type.Boolean(),
  supportsThinking: Type.Boolean(),
  supportsImage: Type.Boolean(),
  supportsDocument: Type.Boolean(),
});

export const PublicAgentModel = Type.Object({
  aiModelPublicId: Nullable(Type.String()),
  aiModelName: Nullable(Type.String()),
  modelId: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  temperature: Nullable(Type.Number()),
  thinkingEnabled: Type.Boolean(),
  thinkingEffort: Nullable(Type.String()),
  capabilities: Nullable(ModelCapabilities),
});

export type PublicAgentModel = Static<typeof PublicAgentModel>;

export const PublicAgentPrompt = Type.Object({
  systemPrompt: Nullable(Type.String()),
  dynamicPromptEnabled: Type.Boolean(),
  variables: EmptyList,
});

export type PublicAgentPrompt = Static<typeof PublicAgentPrompt>;

const ListOf = (s: string[]) => Type.Array(Type.String({ enum: s }));
export const AgentListQuery = Type.Object({
  ...pageQuery(),
  status: Type.Optional(ListOf(['draft', 'active', 'inactive', 'archived'])),
  'status[]': Type.Optional(ListOf(['draft', 'active', 'inactive', 'archived'])),
  search: Type.Optional(Type.String({ maxLength: 255 })),
  categories: Type.Optional(Type.Array(Type.String({ maxLength: 100 }))),
  'categories[]': Type.Optional(Type.Array(Type.String({ maxLength: 100 }))),
  includeArchived: Type.Boolean({ default: false }),
});
export type AgentListQuery = Static<typeof AgentListQuery>;

// ---- §4.11 AI models --------------------------------------------------------------------

export const AIModelQuery = Type.Object({
  activeOnly: Type.Boolean({ default: true }),
  provider: Type.Optional(Type.String({ maxLength: 100 })),
  supportsImage: Type.Optional(Type.Boolean()),
  supportsDocument: Type.Optional(Type.Boolean()),
  scope: Type.Optional(Type.Union([Type.Literal('global'), Type.Literal('workspace')])),
});
export type AIModelQuery = Static<typeof AIModelQuery>;

export const PublicAIModel = Type.Object({
  publicId: Type.String(),
  name: Type.String(),
  modelId: Type.String(),
  provider: Type.String(),
  displayProvider: Type.String(),
  description: Nullable(Type.String()),
  iconUrl: Nullable(Type.String()),
  scope: Type.String(),
  active: Type.Boolean(),
  contextWindow: Nullable(Type.Integer()),
  inputCostPer1MTokens: Nullable(Type.Number()),
  outputCostPer1MTokens: Nullable(Type.Number()),
  minTemperature: Nullable(Type.Number()),
  maxTemperature: Nullable(Type.Number()),
  supportsTemperature: Type.Boolean(),
  supportsThinking: Type.Boolean(),
  supportsImage: Type.Boolean(),
  supportsDocument: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type PublicAIModel = Static<typeof PublicAIModel>;

export const AgentParams = Type.Object({ agentPublicId: Type.String() });
export const ConversationParams = Type.Object({ conversationPublicId: Type.String() });
export const VersionParams = Type.Object({ agentPublicId: Type.String(), versionNumber: Type.String() });
