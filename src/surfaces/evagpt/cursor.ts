import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeysetPage, KeysetPosition, KeysetResult } from '../../features/knowledge/keyset.js';
import { InvalidRequestError } from '../../platform/errors.js';

/** evagpt.md §1.2: a cursor is valid for 24 h. */
const CURSOR_TTL_MS = 24 * 60 * 60 * 1000;

/** What a cursor carries (signed, opaque to clients). */
interface CursorState<F> {
  /** The listing it belongs to, e.g. `conversations` or `records:<dataset id>`. */
  k: string;
  /** Workspace of the key that started the traversal. */
  w: string;
  f: F;
  l: number;
  t: number;
  /** The page number last returned (1 after the first request). */
  p: number;
  a: KeysetPosition;
  /** Expiry, epoch ms. */
  e: number;
}

export interface PageQuery {
  limit?: number;
  currentPage?: number;
  cursor?: string;
}

/** A traversal step: what to fetch now and how to answer it. */
export interface CursorStep<F> {
  filters: F;
  page: KeysetPage;
  pageNumber: number;
  total: number | null;
}

export interface PageEnvelope {
  total: number;
  currentPage: number;
  totalPages: number;
  cursor: string | null;
}

export const DEFAULT_LIMIT = 25;

/**
 * Server-signed cursors (HMAC-SHA256 over base64url JSON). Tampered, expired, foreign
 * (another workspace or listing) or malformed cursors are a 400.
 */
export class Cursors {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => Date,
  ) {
    this.key = createHmac('sha256', secret).update('papo:evagpt-cursor').digest();
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  /** The first page (no cursor: `currentPage` must be 0 or absent) or the page after a cursor. */
  step<F>(listing: string, workspaceId: string, q: PageQuery, filters: F): CursorStep<F> {
    if (q.cursor === undefined) {
      if (q.currentPage !== undefined && q.currentPage !== 0) {
        throw new InvalidRequestError('Send currentPage=0 (or none) without a cursor: page 1 comes first.', [
          { location: 'query', path: 'currentPage', message: 'must be 0 when no cursor is sent' },
        ]);
      }
      const limit = q.limit ?? DEFAULT_LIMIT;
      return { filters, page: { limit, after: null, withTotal: true }, pageNumber: 1, total: null };
    }
    const state = this.decode<F>(q.cursor);
    if (!state || state.k !== listing || state.w !== workspaceId || state.e <= this.now().getTime()) {
      throw new InvalidRequestError('The cursor is not valid or has expired; start again from page 1.', [
        { location: 'query', path: 'cursor', message: 'is not valid or has expired' },
      ]);
    }
    return {
      filters: state.f,
      page: { limit: state.l, after: state.a, withTotal: false },
      pageNumber: state.p + 1,
      total: state.t,
    };
  }

  /** `total`/`totalPages` stay those of the first page; `cursor` is null on the last page. */
  envelope<F, T>(
    listing: string,
    workspaceId: string,
    step: CursorStep<F>,
    result: KeysetResult<T>,
  ): PageEnvelope {
    const total = step.total ?? result.total ?? 0;
    const totalPages = Math.ceil(total / step.page.limit);
    const last = result.last;
    const cursor =
      result.more && last && step.pageNumber < totalPages
        ? this.encode<F>({
            k: listing,
            w: workspaceId,
            f: step.filters,
            l: step.page.limit,
            t: total,
            p: step.pageNumber,
            a: last,
            e: this.now().getTime() + CURSOR_TTL_MS,
          })
        : null;
    return { total, currentPage: step.pageNumber, totalPages, cursor };
  }

  private encode<F>(state: CursorState<F>): string {
    const payload = Buffer.from(JSON.stringify(state)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  private decode<F>(cursor: string): CursorState<F> | undefined {
    const [payload, sig, extra] = cursor.split('.');
    if (!payload || !sig || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CursorState<F>;
      const valid =
        typeof state.k === 'string' &&
        typeof state.w === 'string' &&
        Number.isInteger(state.l) &&
        Number.isInteger(state.t) &&
        Number.isInteger(state.p) &&
        typeof state.e === 'number' &&
        typeof state.a?.createdAt === 'string' &&
        typeof state.a.id === 'string';
      return valid ? state : undefined;
    } catch {
      return undefined;
    }
  }
}
