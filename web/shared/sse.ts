/** One Server-Sent Event as Papo sends it (quintus.md §6.1): an id, a name and one JSON data line. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Reads an SSE response body (fetch + ReadableStream, since EventSource cannot POST) and calls
 * `onEvent` for every complete event. Comments (keep-alives) and `retry:` lines are skipped.
 * Resolves when the body ends; rejects if reading fails (a dropped connection).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
): Promise<void> {
  const reader = body.getReader();
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
    const { done, value } = await reader.read();
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
