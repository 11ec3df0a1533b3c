import ipaddr from 'ipaddr.js';
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import { Agent, request } from 'undici';

export interface FetchPolicy {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Operators may allow private networks (intranet images); never the default. */
  allowPrivateNetworks: boolean;
  /** Extra CA certificates (PEM) to trust, e.g. an internal CA. */
  ca?: string;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  timeoutMs: 10_000,
  maxBytes: 26_214_400,
  maxRedirects: 3,
  allowPrivateNetworks: false,
};

/** Why a URL could not be fetched, in words fit for a 422 issue. */
export class UrlFetchError extends Error {}

/** Public unicast only: no loopback, private, link-local, unique-local, CGNAT, multicast or reserved. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.range() === 'unicast';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * Fetches an `https` URL whose every resolved address is public (README §7): the check runs in
 * the socket's own DNS lookup, so a name cannot resolve to a public address for the check and a
 * private one for the connection; redirects (at most 3) are followed by hand and re-checked.
 */
export function createPublicFetcher(policy: FetchPolicy = DEFAULT_FETCH_POLICY) {
  const allowed = (ip: string) => policy.allowPrivateNetworks || isPublicAddress(ip);
  const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const ok = addresses.filter((a) => allowed(a.address));
      if (ok.length === 0 || ok.length !== addresses.length) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: 'EPRIVATE' }),
          [],
        );
      }
      if (options.all) callback(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
  const agent = new Agent({
    connect: { lookup: lookup as never, timeout: policy.timeoutMs, ...(policy.ca && { ca: policy.ca }) },
    headersTimeout: policy.timeoutMs,
    bodyTimeout: policy.timeoutMs,
  });

  return async function fetchPublic(
    rawUrl: string,
  ): Promise<{ data: Buffer; url: string; contentType?: string }> {
    const signal = AbortSignal.timeout(policy.timeoutMs);
    let url = rawUrl;
    for (let hop = 0; hop <= policy.maxRedirects; hop++) {
      const target = parseTarget(url);
      const host = target.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host) && !allowed(host)) {
        throw new UrlFetchError('the URL points to a non-public address');
      }
      let res;
      try {
        res = await request(target, {
          dispatcher: agent,
          method: 'GET',
          signal,
          headers: { accept: 'image/*' },
        });
      } catch (err) {
        const code =
          (err as { code?: string; cause?: { code?: string } }).code ??
          (err as { cause?: { code?: string } }).cause?.code;
        if (code === 'EPRIVATE') throw new UrlFetchError('the URL resolves to a non-public address');
        if (signal.aborted) throw new UrlFetchError(`no answer within ${policy.timeoutMs / 1000} s`);
        throw new UrlFetchError('the URL could not be fetched');
      }
      if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
        await res.body.dump();
        const location = res.headers['location'];
        if (typeof location !== 'string') throw new UrlFetchError('a redirect without a location');
        url = new URL(location, target).toString();
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new UrlFetchError(`the server answered HTTP ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > policy.maxBytes) {
        await res.body.dump();
        throw new UrlFetchError(`the file is larger than ${policy.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > policy.maxBytes)
            throw new UrlFetchError(`the file is larger than ${policy.maxBytes} bytes`);
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        res.body.destroy();
        if (err instanceof UrlFetchError) throw err;
        throw new UrlFetchError(
          signal.aborted ? `no answer within ${policy.timeoutMs / 1000} s` : 'the download failed',
        );
      }
      const ct = res.headers['content-type'];
      return { data: Buffer.concat(chunks), url, contentType: typeof ct === 'string' ? ct : undefined };
    }
    throw new UrlFetchError(`more than ${policy.maxRedirects} redirects`);
  };
}

export type PublicFetcher = ReturnType<typeof createPublicFetcher>;

function parseTarget(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UrlFetchError('not a valid URL');
  }
  if (u.protocol !== 'https:') throw new UrlFetchError('only https URLs are fetched');
  if (u.username || u.password) throw new UrlFetchError('URLs with credentials are not fetched');
  return u;
}
