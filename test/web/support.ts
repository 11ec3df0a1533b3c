import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Browser tests: the real server (createTestApp + listen), Debian's Chromium, the built web assets. */

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');
const OUTPUTS = [path.join(DIST, 'widget.js'), path.join(DIST, 'dashboard', 'index.html')];
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

/** Chromium present? Under CI it must be (.ci/run installs it); elsewhere the suite skips. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env['CI'])
    throw new Error(`${CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)`);
  console.warn(`[web tests] skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return false;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!OUTPUTS.every((f) => fs.existsSync(f))) return false;
  const built = Math.min(...OUTPUTS.map((f) => fs.statSync(f).mtimeMs));
  return built >= newestMtime(WEB);
}

/**
 * Builds web/dist when it is missing or older than web/ sources. Test files run in parallel
 * workers, so one builds under a lock directory while the others wait for it.
 */
export async function ensureWebBuilt(): Promise<void> {
  const lock = path.join(os.tmpdir(), `papo-web-build-${Buffer.from(ROOT).toString('hex').slice(-16)}.lock`);
  const deadline = Date.now() + 180_000;
  while (!isFresh()) {
    try {
      fs.mkdirSync(lock);
    } catch {
      // another worker is building; a lock older than 3 minutes is from a dead process
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 180_000)
        fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for the web build');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (!isFresh()) {
        const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
        for (const config of ['web/vite.dashboard.config.ts', 'web/vite.widget.config.ts']) {
          // vitest sets NODE_ENV=test, which would make Vite bundle React's development build
          execFileSync(process.execPath, [vite, 'build', '-c', config], {
            cwd: ROOT,
            stdio: 'pipe',
            env: { ...process.env, NODE_ENV: 'production' },
          });
        }
      }
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/** Runs axe-core (WCAG 2.1 A and AA rules) in the page, shadow roots included; expects no violation. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations;
  });
  const summary = (violations as AxeViolation[]).map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes
        .slice(0, 5)
        .map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').join(' ') ?? ''}`)
        .join('\n'),
  );
  expect(summary, `accessibility of ${label}`).toEqual([]);
}
