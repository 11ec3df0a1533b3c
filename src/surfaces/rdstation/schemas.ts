import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Request schemas of the RD Station surface (rdstation.md); responses are shaped in mappers.ts. */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Obj = () => Type.Object({}, { additionalProperties: true });
const Str255 = () => Type.String({ maxLength: 255 });

export const Utm = Type.Object(
  {
    source: Type.Optional(Str255()),
    medium: Type.Optional(Str255()),
    campaign: Type.Optional(Str255()),
    content: Type.Optional(Str255()),
    term: Type.Optional(Str255()),
  },
  { additionalProperties: true },
);

export const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'] as const;

/** The five utm keys only (unknown body fields are ignored). */
export function pickUtm(utm: Static<typeof Utm> | undefined): Record<string, string> | undefined {
  if (!utm) return undefined;
  const out: Record<string, string> = {};
  for (const k of UTM_KEYS) if (typeof utm[k] === 'string') out[k] = utm[k];
  return out;
}

const Attachment = Type.Object({
  url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https://' })),
  data: Type.Optional(Type.String({ minLength: 1 })),
  name: Type.Optional(Str255()),
  contentType: Type.Optional(Str255()),
});
export type AttachmentBody = Static<typeof Attachment>;

const MessageInput = Type.Object({
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')])),
  content: Type.Optional(Nullable(Type.String({ maxLength: 32_000 }))),
  name: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
  createdAt: Type.Optional(Type.String()),
  metadata: Type.Optional(Obj()),
  toolCallId: Type.Optional(Nullable(Type.String())),
  attachments: Type.Optional(Type.Array(Attachment, { maxItems: 10 })),
});
export type MessageInputBody = Static<typeof MessageInput>;

export const SendBody = Type.Object({
  id: Type.Optional(Type.String({ format: 'uuid' })),
  tools: Type.Optional(Type.Array(Type.Unknown())),
  preview: Type.Optional(Type.Boolean()),
  utm: Type.Optional(Utm),
  format: Type.Optional(
    Type.Union([
      Type.Literal('markdown'),
      Type.Literal('plain'),
      Type.Literal('whatsapp'),
      Type.Literal('slack'),
    ]),
  ),
  leadId: Type.Optional(Type.String({ format: 'uuid' })),
  platformUserIdentifier: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  message: Type.Optional(MessageInput),
  messages: Type.Optional(Type.Array(MessageInput, { maxItems: 50 })),
});
export type SendBody = Static<typeof SendBody>;

export const FeedbackBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  feedback: Nullable(Type.Union([Type.Literal('positive'), Type.Literal('negative')])),
});
export type FeedbackBody = Static<typeof FeedbackBody>;

/** rdstation.md §1.1. */
export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const ConversationListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    createdAtStart: Type.Optional(Type.String({ format: 'date-time' })),
    feedback: Type.Optional(Type.Boolean()),
  }),
]);
export type ConversationListQuery = Static<typeof ConversationListQuery>;

export const LEAD_ORDERS = [
  'createdAtDesc',
  'createdAtAsc',
  'updatedAtDesc',
  'updatedAtAsc',
  'nameAsc',
  'nameDesc',
] as const;

export const LeadListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    search: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()),
    orderBy: Type.Optional(Type.Union(LEAD_ORDERS.map((o) => Type.Literal(o)))),
    createdAtStart: Type.Optional(Type.String({ format: 'date-time' })),
    agentId: Type.Optional(Type.String({ format: 'uuid' })),
    capture: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('partial')])),
  }),
]);
export type LeadListQuery = Static<typeof LeadListQuery>;

export const LeadBody = Type.Object({
  agentId: Type.Optional(Nullable(Type.String({ format: 'uuid' }))),
  name: Type.Optional(Nullable(Str255())),
  email: Type.Optional(Nullable(Type.String({ maxLength: 254, format: 'email' }))),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  company: Type.Optional(Nullable(Str255())),
  site: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
  custom: Type.Optional(Obj()),
  utm: Type.Optional(Utm),
  capture: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('partial')])),
});
export type LeadBody = Static<typeof LeadBody>;

export const AgentListQuery = Type.Composite([
  PageQuery,
  Type.Object({ search: Type.Optional(Type.String()) }),
]);
export type AgentListQuery = Static<typeof AgentListQuery>;

const LeadField = Type.Union([
  Type.Literal('name'),
  Type.Literal('phone'),
  Type.Literal('email'),
  Type.Literal('company'),
  Type.Literal('site'),
]);

/** R11: unknown fields are refused (the vendor's agent schema forbids extra properties). */
export const AgentCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 150 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    purpose: Type.Optional(Type.Union([Type.Literal('general'), Type.Literal('leads'), Type.Literal('cs')])),
    kbs: Type.Optional(Type.Array(Type.String())),
    fields: Type.Optional(Type.Array(LeadField, { uniqueItems: true })),
    avatar: Type.Optional(Nullable(Obj())),
    color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
    status: Type.Optional(
      Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('draft')]),
    ),
    destinations: Type.Optional(Type.Array(Obj(), { maxItems: 20 })),
    behavior: Type.Optional(
      Type.Object(
        { answerLength: Type.String(), personality: Type.String(), engagement: Type.String() },
        { additionalProperties: false },
      ),
    ),
    behavior_type: Type.Optional(Type.String({ maxLength: 255 })),
    left: Type.Optional(Type.Boolean()),
    customFields: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type AgentCreateBody = Static<typeof AgentCreateBody>;

export const IdParams = Type.Object({ id: Type.String() });
export const AgentIdParams = Type.Object({ agentId: Type.String() });
export const FeedbackParams = Type.Object({ workspaceId: Type.String(), agentId: Type.String() });
