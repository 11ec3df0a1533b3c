/**
 * Generations outlive the requests that start them; shutdown waits for the ones in flight
 * (bounded) so no reply is cut off by a deploy.
 */
export class GenerationTracker {
  private readonly inflight = new Set<Promise<unknown>>();
  private draining = false;

  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const forget = () => this.inflight.delete(work);
    work.then(forget, forget);
    return work;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get count(): number {
    return this.inflight.size;
  }

  /** Stops accepting (callers check isDraining) and waits up to `timeoutMs` for in-flight work. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.allSettled([...this.inflight]).then(() => true as const);
    const finished = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return finished;
  }
}
