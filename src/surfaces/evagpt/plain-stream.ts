import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../../platform/errors.js';
import type { StreamStore } from '../../platform/streams/stream-hub.js';
import { rawStream } from '../../platform/http/raw-stream.js';
import { sendProblem } from './problems.js';

/**
 * EvaGPT E9: a reply as `text/plain` chunked raw text. Headers wait for the first delta, so
 * anything that fails before it (a closed conversation found at its turn, a model failure)
 * still answers problem+json; a failure after it aborts the connection without ending the
 * chunked body. A client that leaves only stops this reader: the generation goes on and is stored.
 */
export async function sendPlainTextStream(
  request: FastifyRequest,
  reply: FastifyReply,
  hub: StreamStore,
  streamId: string,
  conversationId: string,
): Promise<FastifyReply | undefined> {
  const stream = rawStream(reply);
  const { gone, write, res } = stream;
  let started = false;
  // a delta may end inside a surrogate pair: hold its first half so every chunk is whole UTF-8
  let held = '';

  const start = (messageId: string) => {
    started = true;
    stream.start({
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-conversation-id': conversationId,
      'x-message-id': messageId,
    });
  };

  try {
    for await (const ev of hub.read(streamId, 0, gone)) {
      if (ev.event === 'agent_message.delta') {
        const d = JSON.parse(ev.json) as { message_id: string; delta: string };
        if (!started) start(d.message_id);
        const text = held + d.delta;
        const last = text.charCodeAt(text.length - 1);
        held = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : '';
        await write(held ? text.slice(0, -1) : text);
      } else if (ev.event === 'agent_message.completed') {
        const c = JSON.parse(ev.json) as { message: { id: string } };
        if (!started) start(c.message.id);
      } else if (ev.event === 'error') {
        const e = JSON.parse(ev.json) as { error: { code: ErrorCode; message: string } };
        if (!started) return sendProblem(new AppError(e.error.code, e.error.message), request, reply);
        res.destroy();
        return undefined;
      } else if (ev.event === 'done') {
        break;
      }
    }
  } finally {
    stream.dispose();
  }
  if (!started) {
    // the client left before the reply began: nothing to answer, the generation goes on
    reply.hijack();
    if (!res.writableEnded) res.end();
    return undefined;
  }
  await write(held);
  if (!res.writableEnded) res.end();
  return undefined;
}
