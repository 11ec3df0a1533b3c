import { expect, it } from 'vitest';
import { originMatches } from './origins.js';

it('matches exact origins: scheme and port exact, host case-insensitive', () => {
  expect(originMatches('https://shop.example.com', 'https://shop.example.com')).toBe(true);
  expect(originMatches('https://SHOP.example.com', 'https://shop.example.com')).toBe(true);
  expect(originMatches('https://shop.example.com:443', 'https://shop.example.com')).toBe(true);
  expect(originMatches('http://shop.example.com', 'https://shop.example.com')).toBe(false);
  expect(originMatches('https://shop.example.com:8443', 'https://shop.example.com')).toBe(false);
  expect(originMatches('http://localhost:5173', 'http://localhost:5173')).toBe(true);
  expect(originMatches('http://localhost:5174', 'http://localhost:5173')).toBe(false);
});

it('matches wildcards on one or more sub-domain labels only', () => {
  const entry = 'https://*.example.com';
  expect(originMatches('https://a.example.com', entry)).toBe(true);
  expect(originMatches('https://a.b.example.com', entry)).toBe(true);
  expect(originMatches('https://example.com', entry)).toBe(false);
  expect(originMatches('https://evil-example.com', entry)).toBe(false);
  expect(originMatches('https://a.example.com.evil.io', entry)).toBe(false);
  expect(originMatches('https://aexample.com', entry)).toBe(false);
  expect(originMatches('http://a.example.com', entry)).toBe(false);
  expect(originMatches('https://a.example.com:444', entry)).toBe(false);
});

it('refuses malformed origins', () => {
  for (const o of [
    'null',
    '',
    'https://',
    'https://a.example.com/path',
    'ftp://a.example.com',
    'https://a.example.com:99999x',
  ]) {
    expect(originMatches(o, 'https://*.example.com'), o).toBe(false);
  }
});
