import { newId } from '../ids.js';

export interface StreamEvent {
  /** 1, 2, 3 … per stream (SSE `id:`). */
  id: number;
  event: string;
  /** The payload, serialised once when emitted (kept for the replay window, sent to every reader). */
  json: string;
}

export interface StreamOwner {
  workspaceId: string;
  conversationId: string;
}

interface StreamRecord {
  owner: StreamOwner;
  events: StreamEvent[];
  done: boolean;
  wake: Set<() => void>;
}

export interface StreamWriter {
  readonly streamId: string;
  emit(event: string, data: unknown): void;
  /** Marks the stream finished; readers drain what is left and stop. Idempotent. */
  end(): void;
}

/**
 * In-process replay buffer for native SSE streams (quintus.md §6.4): every event is kept with
 * its id until `retentionMs` after the stream ends, so a reader can resume from Last-Event-ID
 * and several readers can follow one generation. The generation never depends on a reader.
 */
export class StreamHub {
  private readonly streams = new Map<string, StreamRecord>();

  constructor(private readonly retentionMs: number) {}

  create(owner: StreamOwner): StreamWriter {
    const streamId = newId();
    const rec: StreamRecord = { owner, events: [], done: false, wake: new Set() };
    this.streams.set(streamId, rec);
    const notify = () => {
      for (const w of rec.wake) w();
      rec.wake.clear();
    };
    return {
      streamId,
      emit: (event, data) => {
        if (rec.done) return;
        rec.events.push({ id: rec.events.length + 1, event, json: JSON.stringify(data) });
        notify();
      },
      end: () => {
        if (rec.done) return;
        rec.done = true;
        notify();
        setTimeout(() => this.streams.delete(streamId), this.retentionMs).unref();
      },
    };
  }

  /** The stream's owner, or undefined when it never existed or has expired. */
  ownerOf(streamId: string): StreamOwner | undefined {
    return this.streams.get(streamId)?.owner;
  }

  /** Events with id > afterId, then live ones until the stream ends (or `signal` aborts). */
  async *read(streamId: string, afterId = 0, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
    const rec = this.streams.get(streamId);
    if (!rec) return;
    let next = Math.max(0, afterId);
    let wakeReader: (() => void) | undefined;
    const onAbort = () => wakeReader?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal?.aborted) {
        while (next < rec.events.length) {
          yield rec.events[next]!;
          next++;
        }
        if (rec.done) return;
        await new Promise<void>((resolve) => {
          wakeReader = resolve;
          rec.wake.add(resolve);
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (wakeReader) rec.wake.delete(wakeReader);
    }
  }

  size(): number {
    return this.streams.size;
  }
}
