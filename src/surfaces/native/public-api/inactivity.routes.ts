import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { tokenSecurity } from './conversations.routes.js';
import type { PublicApiDeps } from './index.js';

const Step = Type.Union([Type.Literal('warning'), Type.Literal('final')]);

export const InactivityResult = Type.Object(
  {
    step: Step,
    message: Type.Ref('Message'),
    conversation_status: Type.Union([
      Type.Literal('active'),
      Type.Literal('closed'),
      Type.Literal('expired'),
    ]),
  },
  { $id: 'InactivityResult' },
);

export const inactivitySchemas = [InactivityResult];

export function inactivityRoutes(app: App, { services, ctx }: PublicApiDeps): void {
  app.post(
    '/conversations/:conversation_id/inactivity',
    {
      // joins the conversation's generation queue on arrival, like a send
      config: { auth: 'session-token', conversationParam: 'conversation_id' },
      schema: {
        tags: ['Public Chat API · Conversations'],
        security: tokenSecurity,
        summary: 'P5 · Generate an inactivity message (`warning` nudge or `final` closing)',
        description:
          'The agent’s fixed `warning_message`/`final_message` is used as is; otherwise the model writes it following the agent’s inactivity instructions (never stored as a message). The reply is a normal assistant message and counts as activity. `final` then closes the conversation (`reason: "inactivity"`) unless the agent’s `close_on_final` is off. `step` missing → 400; another value → 422.',
        params: Type.Object({ conversation_id: Type.String({ description: 'Conversation id' }) }),
        body: Type.Object({ step: Step }),
        response: {
          200: Type.Ref('InactivityResult'),
          ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503, 504),
        },
      },
    },
    async (req, reply) =>
      services.inactivity.sendInactivityMessage(ctx(req, reply), req.params.conversation_id, req.body.step),
  );
}
