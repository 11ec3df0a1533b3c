export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Parses SSE text into events and comments, in order (enough for tests; one data line per event). */
export function parseSse(text: string): { retry?: number; events: SseEvent[] } {
  const out: SseEvent[] = [];
  let retry: number | undefined;
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    const ev: SseEvent = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) ev.comment = line.slice(1).trim();
      else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
      else if (line.startsWith('id: ')) ev.id = line.slice(4);
      else if (line.startsWith('event: ')) ev.event = line.slice(7);
      else if (line.startsWith('data: ')) ev.data = line.slice(6);
    }
    if (Object.keys(ev).length > 0) out.push(ev);
  }
  return { retry, events: out };
}

/** Reads a streaming response until `until` returns true for the text so far, then aborts. */
export async function readUntil(
  res: Response,
  until: (text: string) => boolean,
  abort: AbortController,
): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    if (until(text)) {
      abort.abort();
      return text;
    }
  }
}
