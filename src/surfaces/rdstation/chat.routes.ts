import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RdMessageInput } from '../../features/sessions/rdstation-chat.js';
import type { App } from '../../platform/http/types.js';
import { rdStatus, toRdLead, toRdMessage } from './mappers.js';
import type { RdRouteDeps } from './plugin.js';
import {
  AgentIdParams,
  FeedbackBody,
  FeedbackParams,
  pickUtm,
  SendBody,
  type MessageInputBody,
} from './schemas.js';

/** 40 MiB: base64 attachments (rdstation.md §1). */
const SEND_BODY_LIMIT = 40 * 1024 * 1024;

function toInput(m: MessageInputBody): RdMessageInput {
  return {
    role: m.role ?? 'user',
    content: m.content ?? null,
    name: m.name ?? null,
    metadata: m.metadata ?? {},
    attachments: m.attachments ?? [],
  };
}

/** R1 (and its R1′ alias), R2. */
export function chatRoutes(app: App, { rd, ctx }: RdRouteDeps): void {
  const send = async (req: FastifyRequest, reply: FastifyReply) => {
    const { agentId } = req.params as { agentId: string };
    const body = req.body as SendBody;
    const format = body.format;
    const result = await rd.chat.send(ctx(req, reply), {
      agentId,
      ...(body.id !== undefined && { conversationId: body.id }),
      preview: body.preview ?? false,
      ...(body.utm !== undefined && { utm: pickUtm(body.utm) }),
      ...(body.leadId !== undefined && { leadId: body.leadId }),
      ...(body.platformUserIdentifier !== undefined && {
        platformUserIdentifier: body.platformUserIdentifier,
      }),
      inputs: [...(body.messages ?? []), ...(body.message ? [body.message] : [])].map(toInput),
    });
    const shown = format ?? result.format;
    const rows = result.reply ? [...result.stored, result.reply] : result.stored;
    return {
      id: result.conversation.id,
      messages: rows.map((r) => toRdMessage(r, shown, result.files)),
      status: rdStatus(result.status),
      lead: result.lead ? toRdLead(result.lead) : null,
    };
  };
  for (const url of ['/api/:agentId', '/rest/api/:agentId']) {
    app.post(
      url,
      {
        bodyLimit: SEND_BODY_LIMIT,
        config: {
          rd: { credential: 'key', scope: 'agent:run' },
          conversationInBody: true,
          rdAgentParam: 'agentId',
        },
        schema: { hide: true, params: AgentIdParams, body: SendBody },
      },
      send,
    );
  }

  app.post(
    '/rest/:workspaceId/:agentId/message/feedback',
    {
      config: { rd: { credential: 'ip' } },
      schema: { hide: true, params: FeedbackParams, body: FeedbackBody },
    },
    async (req) => {
      const { workspaceId, agentId } = req.params;
      const { message, format, files } = await rd.chat.setFeedback({
        workspaceId,
        agentId,
        messageId: req.body.id,
        value: req.body.feedback,
      });
      return toRdMessage(message, format, files);
    },
  );
}
