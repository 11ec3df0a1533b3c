import type { Lang } from './i18n/index.tsx';

export function fmtDateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

export function fmtInt(n: number, lang: Lang): string {
  return n.toLocaleString(lang);
}

/** A number with at most (or exactly, when `fixed`) `digits` decimals: 0.73 / 0,73. */
export function fmtDecimal(n: number, lang: Lang, digits: number, fixed = false): string {
  return new Intl.NumberFormat(lang, {
    minimumFractionDigits: fixed ? digits : 0,
    maximumFractionDigits: digits,
  }).format(n);
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

export function fmtBytes(n: number, lang: Lang): string {
  if (n < 1024) return `${fmtInt(n, lang)} B`;
  if (n < 1024 * 1024) return `${fmtDecimal(n / 1024, lang, 1, true)} KB`;
  return `${fmtDecimal(n / 1024 / 1024, lang, 1, true)} MB`;
}

/** `YYYY-MM-DD` of a Date in UTC. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
