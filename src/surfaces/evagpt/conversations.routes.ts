import { Type } from '@sinclair/typebox';
import type { EvaConversationFilters } from '../../features/sessions/evagpt-conversations.js';
import { textOf } from '../../features/messages/messages.mapper.js';
import { InvalidRequestError } from '../../platform/errors.js';
import { sendPlainTextStream } from './plain-stream.js';
import {
  ChatMessage,
  Conversation,
  FEEDBACK_OUT,
  FreeObject,
  PageFields,
  PageParams,
  TextBody,
  toChatMessage,
  toConversation,
} from './schemas.js';
import type { EvagptRouteDeps } from './plugin.js';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC day).' });

const ListQuery = Type.Object({
  ...PageParams,
  dateInit: Type.Optional(Day),
  dateEnd: Type.Optional(Day),
  search: Type.Optional(Type.String({ maxLength: 200 })),
  meta: Type.Optional(Type.String({ maxLength: 200 })),
});

const agentRun = { auth: 'agent-key' as const, evagptScope: 'agent:run' as const };

/** A real calendar day (the pattern lets 2026-02-30 through). */
function assertDay(name: string, value: string | undefined): void {
  if (value === undefined) return;
  const d = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new InvalidRequestError(`${name} is not a valid date.`, [
      { location: 'query', path: name, message: 'must be a date YYYY-MM-DD' },
    ]);
  }
}

/** evagpt.md §5: E4–E12. */
export function conversationRoutes({ app, services, ctx, conversations, cursors }: EvagptRouteDeps): void {
  app.get(
    '/conversation',
    {
      config: agentRun,
      schema: {
        hide: true,
        querystring: ListQuery,
        response: { 200: Type.Object({ ...PageFields, conversations: Type.Array(Conversation) }) },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      const q = req.query;
      assertDay('dateInit', q.dateInit);
      assertDay('dateEnd', q.dateEnd);
      if (q.dateInit && q.dateEnd && q.dateInit > q.dateEnd) {
        throw new InvalidRequestError('dateInit must not be after dateEnd.', [
          { location: 'query', path: 'dateInit', message: 'must not be after dateEnd' },
        ]);
      }
      const filters: EvaConversationFilters = {
        ...(q.dateInit && { dateInit: q.dateInit }),
        ...(q.dateEnd && { dateEnd: q.dateEnd }),
        ...(q.search && { search: q.search }),
        ...(q.meta && { meta: q.meta }),
      };
      const workspaceId = c.principal.workspaceId;
      const step = cursors.step('conversations', workspaceId, q, filters);
      const result = await conversations.list(c, step.filters, step.page);
      return {
        ...cursors.envelope('conversations', workspaceId, step, result),
        conversations: result.items.map(toConversation),
      };
    },
  );

  app.get(
    '/conversation/:idConversation',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: Type.Object({ idConversation: Type.String() }),
        response: { 200: Conversation },
      },
    },
    async (req, reply) => toConversation(await conversations.get(ctx(req, reply), req.params.idConversation)),
  );

  app.get(
    '/conversation/message/:idConversation',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: Type.Object({ idConversation: Type.String() }),
        response: {
          200: Type.Object({
            id: Type.String(),
            messages: Type.Array(
              Type.Composite([
                ChatMessage,
                Type.Object({
                  feedback: Type.Union([Type.Literal('like'), Type.Literal('dislike'), Type.Null()]),
                }),
              ]),
            ),
          }),
        },
      },
    },
    async (req, reply) => {
      const messages = await conversations.listMessages(ctx(req, reply), req.params.idConversation);
      return { id: req.params.idConversation, messages: messages.map(toChatMessage) };
    },
  );

  app.post(
    '/conversation/create/:botId',
    {
      config: { ...agentRun, optionalBody: true },
      schema: {
        hide: true,
        params: Type.Object({ botId: Type.String() }),
        body: Type.Object({ meta: Type.Optional(FreeObject) }),
        response: { 200: Conversation },
      },
    },
    async (req, reply) =>
      toConversation(
        await conversations.createForBot(ctx(req, reply), req.params.botId, req.body.meta ?? {}),
      ),
  );

  app.put(
    '/conversation/update/:convId',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: Type.Object({ convId: Type.String() }),
        body: FreeObject,
        response: { 200: Conversation },
      },
    },
    async (req, reply) =>
      toConversation(await conversations.mergeMeta(ctx(req, reply), req.params.convId, req.body)),
  );

  app.post(
    '/conversation/stream/:idConversation',
    {
      config: { ...agentRun, conversationParam: 'idConversation' },
      schema: { hide: true, params: Type.Object({ idConversation: Type.String() }), body: TextBody },
    },
    async (req, reply) => {
      const id = req.params.idConversation;
      const { streamId } = await services.messages.streamMessage(ctx(req, reply), id, {
        content: req.body.text,
      });
      return sendPlainTextStream(req, reply, services.runtime.hub, streamId, id);
    },
  );

  app.post(
    '/conversation/complete/:idConversation',
    {
      config: { ...agentRun, conversationParam: 'idConversation' },
      schema: {
        hide: true,
        params: Type.Object({ idConversation: Type.String() }),
        body: TextBody,
        response: { 200: Type.Object({ id: Type.String(), sendMensages: Type.Array(ChatMessage) }) },
      },
    },
    async (req, reply) => {
      const id = req.params.idConversation;
      const { agent_message: m } = await services.messages.sendMessage(ctx(req, reply), id, {
        content: req.body.text,
      });
      return {
        id,
        sendMensages: [
          { id: m.id, text: textOf(m.content), role: 'assistant' as const, createdAt: m.created_at },
        ],
      };
    },
  );

  app.post(
    '/conversation/message/feedback/:idmessage',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: Type.Object({ idmessage: Type.String() }),
        body: Type.Object({ feedback: Type.Union([Type.Literal('like'), Type.Literal('dislike')]) }),
        response: {
          200: Type.Object({
            id: Type.String(),
            feedback: Type.Union([Type.Literal('like'), Type.Literal('dislike')]),
          }),
        },
      },
    },
    async (req, reply) => {
      const value = req.body.feedback === 'like' ? 'positive' : 'negative';
      await conversations.setFeedback(ctx(req, reply), req.params.idmessage, value);
      return { id: req.params.idmessage, feedback: FEEDBACK_OUT[value] };
    },
  );

  app.post(
    '/conversation/survey/:idconv',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: Type.Object({ idconv: Type.String() }),
        body: Type.Object({
          survey: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
          score: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
        }),
        response: { 200: Conversation },
      },
    },
    async (req, reply) => {
      const score = req.body.survey ?? req.body.score;
      if (score === undefined) {
        throw new InvalidRequestError('Missing required field: survey.', [
          { location: 'body', path: 'survey', message: 'is required' },
        ]);
      }
      return toConversation(await conversations.setSurvey(ctx(req, reply), req.params.idconv, score));
    },
  );
}
