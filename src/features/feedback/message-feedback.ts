import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/client.js';
import { messageColumns, messages } from '../../platform/db/schema/index.js';
import { isUuid } from '../../platform/ids.js';
import type { MessageRow } from '../messages/messages.mapper.js';

export type MessageFeedback = 'positive' | 'negative' | null;

export type MessageFeedbackResult =
  | { ok: true; message: MessageRow }
  /** No such message in the workspace (or a malformed id): the surface's 404. */
  | { ok: false; reason: 'not_found' }
  /** Feedback is for assistant messages only (README §6.4): the surface's validation error. */
  | { ok: false; reason: 'not_assistant'; message: MessageRow };

/**
 * Sets (or clears, with null) the feedback on an assistant message: the one store behind RD
 * Station `feedback` and EvaGPT like/dislike. Accepted whatever the conversation's status.
 * `conversationId` narrows the lookup when the surface names the conversation too.
 */
export async function setMessageFeedback(
  db: DbOrTx,
  r: { workspaceId: string; messageId: string; value: MessageFeedback; at: Date; conversationId?: string },
): Promise<MessageFeedbackResult> {
  if (!isUuid(r.messageId)) return { ok: false, reason: 'not_found' };
  const where = [eq(messages.id, r.messageId), eq(messages.workspaceId, r.workspaceId)];
  if (r.conversationId !== undefined) where.push(eq(messages.conversationId, r.conversationId));
  const [updated] = await db
    .update(messages)
    .set({ feedback: r.value, feedbackAt: r.at })
    .where(and(...where, eq(messages.role, 'assistant')))
    .returning(messageColumns);
  if (updated) return { ok: true, message: updated };
  const [existing] = await db
    .select(messageColumns)
    .from(messages)
    .where(and(...where));
  return existing
    ? { ok: false, reason: 'not_assistant', message: existing }
    : { ok: false, reason: 'not_found' };
}
