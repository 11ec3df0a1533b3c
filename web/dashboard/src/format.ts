import type { Lang } from './i18n/index.tsx';

export function fmtDateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

export function fmtInt(n: number, lang: Lang): string {
  return n.toLocaleString(lang);
}

/** USD with enough decimals for fractions of a cent. */
export function fmtUsd(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined) return '—';
  const digits = n === 0 ? 2 : n < 0.01 ? 6 : n < 1 ? 4 : 2;
  return n.toLocaleString(lang, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `YYYY-MM-DD` of a Date in UTC. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
