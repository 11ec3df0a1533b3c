/** One Server-Sent Event as Papo sends it (quintus.md §6.1): an id, a name and one JSON data line. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** Papo sends a keep-alive comment every 15 s: this long without a byte means the connection is dead. */
export const PAPO_STREAM_IDLE_MS = 45_000;

/** No byte arrived for `idleMs`: the connection is presumed dead (half-open sockets never fail). */
export class SseStalledError extends Error {}

/**
 * Reads an SSE response body (fetch + ReadableStream, since EventSource cannot POST) and calls
 * `onEvent` for every complete event. Comments (keep-alives) and `retry:` lines are skipped.
 * Resolves when the body ends; rejects if reading fails (a dropped connection) or, with `idleMs`,
 * when nothing (not even a keep-alive comment) arrives for that long.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
  opts: { idleMs?: number } = {},
): Promise<void> {
  const reader = body.getReader();
  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    const idleMs = opts.idleMs;
    if (!idleMs) return reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // rejected first: cancelling settles the pending read as `done`, which must not win the race
        reject(new SseStalledError(`no data for ${idleMs} ms`));
        reader.cancel().catch(() => undefined);
      }, idleMs);
    });
    return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
  };
  const decoder = new TextDecoder();
  let buffer = '';
  let current: { id?: string; event?: string; data: string[] } = { data: [] };
  const flush = () => {
    if (current.data.length > 0 || current.event) {
      onEvent({ id: current.id, event: current.event ?? 'message', data: current.data.join('\n') });
    }
    current = { data: [] };
  };
  const line = (raw: string) => {
    if (raw === '') return flush();
    if (raw.startsWith(':')) return;
    const colon = raw.indexOf(':');
    const field = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') current.id = value;
    else if (field === 'event') current.event = value;
    else if (field === 'data') current.data.push(value);
  };
  for (;;) {
    const { done, value } = await read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break; // maybe half of a CRLF
      const sep = buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1;
      line(buffer.slice(0, nl));
      buffer = buffer.slice(nl + sep);
    }
  }
  if (buffer) line(buffer);
  flush();
}
