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
 * The replay buffer every generation writes to and every SSE reader reads from (ADR 0002):
 * `StreamHub` in one process, `RedisStreamHub` when several instances share REDIS_URL.
 */
export interface StreamStore {
  create(owner: StreamOwner): StreamWriter;
  /** The stream's owner, or undefined when it never existed or has expired. */
  ownerOf(streamId: string): Promise<StreamOwner | undefined>;
  /** Events with id > afterId, then live ones until the stream ends (or `signal` aborts). */
  read(streamId: string, afterId?: number, signal?: AbortSignal): AsyncGenerator<StreamEvent>;
  /** Streams held in this process. */
  size(): number;
  /** Releases what reading needs (RedisStreamHub's blocking connection); remote readers end. */
  close(): Promise<void>;
}

/** Sees every event of one stream as it is stored (RedisStreamHub copies them to Redis). */
export interface StreamObserver {
  event(ev: StreamEvent): void;
  /** After the last event; `lastId` is the id of that event (0 when none). */
  end(lastId: number): void;
}

/**
 * In-process replay buffer for native SSE streams (quintus.md §6.4): every event is kept with
 * its id until `retentionMs` after the stream ends, so a reader can resume from Last-Event-ID
 * and several readers can follow one generation. The generation never depends on a reader.
 */
export class StreamHub implements StreamStore {
  private readonly streams = new Map<string, StreamRecord>();

  constructor(private readonly retentionMs: number) {}

  create(owner: StreamOwner, observe?: (streamId: string) => StreamObserver): StreamWriter {
    const streamId = newId();
    const rec: StreamRecord = { owner, events: [], done: false, wake: new Set() };
    this.streams.set(streamId, rec);
    const observer = observe?.(streamId);
    const notify = () => {
      for (const w of rec.wake) w();
      rec.wake.clear();
    };
    return {
      streamId,
      emit: (event, data) => {
        if (rec.done) return;
        const ev = { id: rec.events.length + 1, event, json: JSON.stringify(data) };
        rec.events.push(ev);
        notify();
        observer?.event(ev);
      },
      end: () => {
        if (rec.done) return;
        rec.done = true;
        notify();
        setTimeout(() => this.streams.delete(streamId), this.retentionMs).unref();
        observer?.end(rec.events.length);
      },
    };
  }

  async ownerOf(streamId: string): Promise<StreamOwner | undefined> {
    return this.streams.get(streamId)?.owner;
  }

  /** Whether this process holds the stream (it runs or recently ran its generation). */
  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

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

  async close(): Promise<void> {}
}
