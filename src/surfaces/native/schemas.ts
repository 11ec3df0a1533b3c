import { Type, type TSchema, type TString } from '@sinclair/typebox';

/** Shared wire schemas of the native surface (quintus.md §5). */
export const DateTime = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const FreeObject = (description?: string) =>
  Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});
export const IdParam = <K extends string>(name: K, description: string) =>
  Type.Object({ [name]: Type.String({ description }) } as { [P in K]: TString });

export const Usage = Type.Object(
  {
    input_tokens: Type.Integer(),
    output_tokens: Type.Integer(),
    cached_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
  },
  {
    $id: 'Usage',
    description: 'Token usage; `input_tokens` includes `cached_tokens`; total = input + output.',
  },
);

export const ContentBlockOut = Type.Object(
  {
    type: Type.String({ description: '`text`, `image`, `file` or `tool_result`; ignore unknown types.' }),
  },
  { additionalProperties: true, $id: 'ContentBlock' },
);

export const Message = Type.Object(
  {
    id: Type.String(),
    role: Type.Union([
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('system'),
      Type.Literal('tool'),
    ]),
    content: Type.Array(Type.Ref('ContentBlock')),
    created_at: DateTime,
    metadata: FreeObject(),
    status: Type.Union([Type.Literal('completed'), Type.Literal('incomplete'), Type.Literal('failed')]),
    usage: Nullable(Type.Ref('Usage')),
    model: Nullable(Type.String()),
    cost_usd: Nullable(Type.Number()),
  },
  { $id: 'Message' },
);

const TextBlockIn = Type.Object({
  type: Type.Literal('text'),
  text: Type.String({ minLength: 1, maxLength: 32_000 }),
});
const ImageBlockIn = Type.Object({
  type: Type.Literal('image'),
  file_id: Type.Optional(Type.String()),
  url: Type.Optional(Type.String({ maxLength: 2048 })),
});
const FileBlockIn = Type.Object({ type: Type.Literal('file'), file_id: Type.String() });

export const MessageCreateRequest = Type.Object(
  {
    content: Type.Union(
      [
        Type.String({ minLength: 1, maxLength: 32_000 }),
        Type.Array(Type.Union([TextBlockIn, ImageBlockIn, FileBlockIn]), { minItems: 1, maxItems: 20 }),
      ],
      {
        description:
          'A string (one text block) or 1–20 content blocks (≤10 image/file blocks, ≤32,000 text chars).',
      },
    ),
    role: Type.Optional(
      Type.Union([Type.Literal('user'), Type.Literal('assistant')], {
        default: 'user',
        description: '`assistant` stores an assistant turn without calling the model.',
      }),
    ),
    metadata: Type.Optional(FreeObject('Stored on the message, not seen by the agent.')),
  },
  { $id: 'MessageCreateRequest' },
);

export const SendMessageResult = Type.Object(
  { user_message: Nullable(Type.Ref('Message')), agent_message: Type.Ref('Message') },
  { $id: 'SendMessageResult' },
);

export const SessionUser = Type.Object(
  { id: Type.Optional(Type.String()), reference: Type.Optional(Type.String()) },
  { description: 'Lookup only: binds an existing end user by id and/or reference.' },
);

export const sharedSchemas = [Usage, ContentBlockOut, Message, MessageCreateRequest, SendMessageResult];
