import FindMyWay, { type HTTPMethod } from 'find-my-way';

const METHODS: HTTPMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Remembers every registered route so a request for a known path with another method can be
 * answered 405 with an Allow header (README §5) instead of Fastify's 404.
 */
export class MethodRouter {
  private readonly router = FindMyWay({ ignoreTrailingSlash: false });
  private readonly seen = new Set<string>();

  add(method: string | string[], url: string): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      if (!METHODS.includes(m as HTTPMethod)) continue;
      const k = `${m} ${url}`;
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      this.router.on(m as HTTPMethod, url, () => undefined);
    }
  }

  /**
   * The methods to name in a 405's Allow header for a request that found no handler, or none
   * when the path is unknown or its own method is routed there (HEAD counts as GET): then a
   * handler sent it to not-found (e.g. a missing static file) and the answer is a 404.
   */
  allowedInstead(method: string, url: string): string[] {
    const path = url.split('?')[0] ?? url;
    const allow = METHODS.filter((m) => this.router.find(m, path) !== null);
    return allow.includes(method === 'HEAD' ? 'GET' : (method as HTTPMethod)) ? [] : allow;
  }
}
