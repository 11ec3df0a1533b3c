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

  allowed(url: string): string[] {
    const path = url.split('?')[0] ?? url;
    return METHODS.filter((m) => this.router.find(m, path) !== null);
  }
}
