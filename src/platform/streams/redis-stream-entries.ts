import type { StreamEvent } from './stream-hub.js';

/**
 * How one stream sits in Redis: a Redis Stream whose entry ids are `0-<SSE id>`, each entry
 * `e <event> d <json>`, closed by an `end 1` entry; and the owner as JSON in a string key.
 */
export interface StreamKeys {
  events: string;
  owner: string;
}

export function streamKeys(prefix: string, streamId: string): StreamKeys {
  return { events: `${prefix}${streamId}`, owner: `${prefix}${streamId}:owner` };
}

/** One entry read back: an event, or the end marker (which carries no event). */
export type StreamEntry = { id: number; end: false; event: StreamEvent } | { id: number; end: true };

export function eventFields(ev: StreamEvent): string[] {
  return [`0-${ev.id}`, 'e', ev.event, 'd', ev.json];
}

export function endFields(lastId: number): string[] {
  return [`0-${lastId + 1}`, 'end', '1'];
}

/** XRANGE / XREVRANGE reply → entries; anything unexpected is skipped rather than trusted. */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const item of reply as unknown[]) {
    if (!Array.isArray(item)) continue;
    const [rawId, fields] = item as [unknown, unknown];
    const id = typeof rawId === 'string' ? Number(rawId.slice(rawId.indexOf('-') + 1)) : NaN;
    if (!Number.isSafeInteger(id) || !Array.isArray(fields)) continue;
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), String(fields[i + 1]));
    if (f.has('end')) out.push({ id, end: true });
    else out.push({ id, end: false, event: { id, event: f.get('e') ?? '', json: f.get('d') ?? 'null' } });
  }
  return out;
}

/** XREAD reply → entries per key (null when the block timed out or was unblocked). */
export function parseXread(reply: unknown): Map<string, StreamEntry[]> {
  const out = new Map<string, StreamEntry[]>();
  if (!Array.isArray(reply)) return out;
  for (const item of reply as unknown[]) {
    if (!Array.isArray(item)) continue;
    const [key, entries] = item as [unknown, unknown];
    if (typeof key === 'string') out.set(key, parseEntries(entries));
  }
  return out;
}
