import { Type } from '@sinclair/typebox';
import type { App } from '../../../platform/http/types.js';
import { errorResponses } from '../errors.js';
import { FreeObject, Nullable } from '../schemas.js';
import { tokenSecurity } from './conversations.routes.js';
import type { PublicApiDeps } from './index.js';

export const Feedback = Type.Object(
  {
    id: Type.String({ description: 'The conversation id (one feedback per conversation).' }),
    score: Type.Integer({ description: 'NPS score, 0–10.' }),
    comment: Nullable(Type.String()),
    submitted_at: Type.String({ format: 'date-time', description: 'The latest submission.' }),
    metadata: FreeObject(),
  },
  { $id: 'Feedback' },
);

export const feedbackSchemas = [Feedback];

const FeedbackBody = Type.Object({
  score: Type.Integer({ minimum: 0, maximum: 10, description: 'NPS scale, 0–10.' }),
  comment: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  metadata: Type.Optional(FreeObject('Stored with the feedback (≤16 KiB serialised).')),
});

export function feedbackRoutes(app: App, { services, ctx }: PublicApiDeps): void {
  app.post(
    '/conversations/:conversation_id/feedback',
    {
      config: { auth: 'session-token' },
      schema: {
        tags: ['Public Chat API · Feedback'],
        security: tokenSecurity,
        summary: 'P12 · Submit feedback (upsert: a new submission replaces the last one entirely)',
        description:
          'Accepted in every conversation status. Omitted fields reset: `comment` to `null`, `metadata` to `{}`.',
        params: Type.Object({ conversation_id: Type.String({ description: 'Conversation id' }) }),
        body: FeedbackBody,
        response: { 200: Type.Ref('Feedback'), ...errorResponses(400, 401, 403, 404, 413, 422, 429) },
      },
    },
    async (req, reply) =>
      services.feedback.submitFeedback(ctx(req, reply), req.params.conversation_id, req.body),
  );
}
