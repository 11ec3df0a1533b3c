import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DRIVER } from '../harness.js';
import {
  chromiumAvailable,
  ensureWebBuilt,
  expectAccessible,
  launchChromium,
  screenshot,
} from './support.js';

// The "done means", as a new user lives it: start Papo on an empty data folder, open the
// printed dashboard URL, sign in with the printed token, create an agent, talk to it, copy the
// embed snippet into a plain HTML file served on another port, and chat from there.
// The server runs as its own process (`papo serve`, what `npm start` runs after building):
// the first-start banner is only ever written to that process's stdout.
const run = chromiumAvailable();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** A new user's shell: none of the developer's Papo, database or provider settings. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(PAPO_|DATABASE_URL$|REDIS_URL$|PORT$|HOST$|LOG_LEVEL$|OPENAI_|ANTHROPIC_|GOOGLE_GENERATIVE_)/.test(
          k,
        ),
    ),
  );
  return { ...env, ...extra };
}

/** Resolves with everything printed once the banner's last line is out; rejects if the process dies first. */
function waitForBanner(child: ChildProcess): Promise<string> {
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no first-start banner in 90 s:\n${out}\n${err}`)),
      90_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/^\s*Try it:$[\s\S]*curl .*\n/m.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`papo serve exited (${code}) before it was ready:\n${out}\n${err}`));
    });
  });
}

describe.skipIf(!run || TEST_DRIVER === 'postgres')('first run (Chromium)', { timeout: 60_000 }, () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let banner = '';
  let site: http.Server | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let dashboard: Page;
  let current: Page;

  beforeAll(async () => {
    await ensureWebBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'papo-first-run-'));
    // the printed URL is built from PORT, so it must be the real one (not 0)
    port = await freePort();
    server = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({
        PAPO_DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PAPO_DEMO_WORD_DELAY_MS: '5',
      }),
    });
    const [printed] = await Promise.all([waitForBanner(server), launchChromium().then((b) => (browser = b))]);
    banner = printed;
    // bypassCSP: the dashboard's CSP forbids inline scripts, and axe is injected as one
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      reducedMotion: 'reduce',
    });
    dashboard = current = await context.newPage();
    dashboard.setDefaultTimeout(10_000);
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && current)
      await screenshot(current, `failed-first-run-${ctx.task.name.slice(0, 40)}`);
  });

  afterAll(async () => {
    await browser?.close();
    if (site) await new Promise((r) => site!.close(r));
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const printed = (label: string) => {
    const m = new RegExp(`^ {2}${label} +(\\S+)`, 'm').exec(banner);
    expect(m, `"${label}" line in the first-start banner:\n${banner}`).not.toBeNull();
    return m![1]!;
  };

  let dashboardUrl = '';
  let operatorToken = '';
  it('prints the dashboard URL and a one-time operator token on the first start', () => {
    expect(banner).toContain('Papo is running — first start on an empty database.');
    dashboardUrl = printed('Dashboard');
    operatorToken = printed('Operator token');
    expect(dashboardUrl).toBe(`http://127.0.0.1:${port}/dashboard/`);
    expect(operatorToken).toMatch(/^papo_op_[A-Za-z0-9]{40}$/);
  });

  const agentName = 'Parcel helper';
  const greeting = 'Hi! I can help you track a parcel.';
  it('signs in at the printed URL with the printed token and creates an agent', async () => {
    await dashboard.goto(dashboardUrl);
    await dashboard.getByRole('heading', { name: 'Sign in to the Papo dashboard' }).waitFor();
    await dashboard.getByLabel('Operator token or admin key').fill(operatorToken);
    await dashboard.getByRole('button', { name: 'Sign in' }).click();
    await dashboard.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    // the first start made a demo agent; the user makes their own
    await dashboard.getByText('Papo demo').first().waitFor();

    await dashboard.getByRole('link', { name: 'New agent' }).click();
    await dashboard.getByRole('textbox', { name: 'Name', exact: true }).fill(agentName);
    await dashboard
      .getByRole('textbox', { name: 'Instructions', exact: true })
      .fill('You help customers of our shop track their parcels. Be brief.');
    await dashboard.getByLabel('Greeting', { exact: true }).fill(greeting);
    // the model is left as it comes: the built-in demo model
    await expect
      .poll(() => dashboard.getByRole('combobox', { name: 'Model' }).inputValue())
      .toMatch(/^Papo demo/);
    await dashboard.getByRole('button', { name: 'Create and publish' }).click();
    await dashboard.getByRole('heading', { name: agentName, level: 1 }).waitFor();
    await dashboard.getByText('version 1').waitFor();
  });

  it('talks to the agent in the playground', async () => {
    await dashboard.getByRole('tab', { name: 'Playground' }).click();
    await dashboard.getByRole('log').getByText(greeting).waitFor();
    await dashboard.getByLabel('Message').fill('Hello, can you hear me?');
    await dashboard.getByRole('button', { name: 'Send' }).click();
    await dashboard.getByTestId('reply-stats').waitFor();
    expect(await dashboard.getByRole('log').textContent()).toContain(
      'You said: "Hello, can you hear me?". This is turn 1 of our conversation.',
    );
    await expectAccessible(dashboard, 'first-run playground');
    await screenshot(dashboard, '30-first-run-dashboard');
  });

  let snippet = '';
  it('gets the embed snippet with a new public key and copies it', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(dashboardUrl).origin,
    });
    await dashboard.getByRole('link', { name: 'Embed' }).click();
    await dashboard.getByRole('heading', { name: 'Embed the chat widget', level: 1 }).waitFor();
    await dashboard.getByRole('combobox', { name: 'Agent' }).click();
    await dashboard.getByRole('option', { name: agentName }).click();
    // the first start's public key was shown once in the terminal; the screen offers a new one
    await dashboard.getByText('Choose an agent and a public key to get the snippet.').waitFor();
    await dashboard.getByRole('button', { name: 'Create public key' }).click();
    const key = await dashboard.getByTestId('new-key').textContent();
    expect(key).toMatch(/^papo_pk_[A-Za-z0-9]{40}$/);
    await dashboard.getByRole('button', { name: 'I have stored it' }).click();
    await dashboard.getByRole('dialog').waitFor({ state: 'detached' });

    const shown = (await dashboard.getByTestId('embed-snippet').textContent())!;
    expect(shown).toContain(`src="http://127.0.0.1:${port}/widget.js"`);
    expect(shown).toContain(`data-public-key="${key}"`);
    await dashboard.getByRole('button', { name: 'Copy snippet' }).click();
    await dashboard.getByRole('button', { name: 'Copied' }).waitFor();
    snippet = await dashboard.evaluate(() => navigator.clipboard.readText());
    expect(snippet).toBe(shown);
    await expectAccessible(dashboard, 'first-run embed');
    // the copy button scrolled the page; a full-page picture with the fixed header needs the top
    await dashboard.evaluate(() => window.scrollTo(0, 0));
    await dashboard.mouse.move(0, 0);
    await screenshot(dashboard, '31-first-run-embed');
  });

  const question = 'Where is my parcel 7731?';
  it('chats from the snippet pasted into a plain HTML page on another port', async () => {
    const siteDir = path.join(dataDir, 'my-site');
    fs.mkdirSync(siteDir);
    fs.writeFileSync(
      path.join(siteDir, 'index.html'),
      `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>My parcel shop</title>
</head>
<body>
<h1>My parcel shop</h1>
<p>Questions about your order? Ask in the chat.</p>
${snippet}
</body>
</html>
`,
    );
    site = http.createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/') return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      fs.createReadStream(path.join(siteDir, 'index.html')).pipe(res);
    });
    await new Promise<void>((r) => site!.listen(0, '127.0.0.1', r));
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    expect(new URL(siteUrl).port).not.toBe(String(port));

    const page = (current = await context.newPage());
    page.setDefaultTimeout(10_000);
    await page.goto(siteUrl);
    await page.getByRole('heading', { name: 'My parcel shop' }).waitFor();
    await page.getByRole('button', { name: 'Open chat' }).click();
    // no data-title in the snippet: the header is the agent's name, the greeting its own
    await page.getByRole('dialog', { name: agentName }).waitFor();
    const assistant = () =>
      page
        .locator('papo-chat .msg.assistant')
        .allTextContents()
        .then((a) => a.join('\n'));
    await expect.poll(assistant).toBe(`Assistant: ${greeting}`);

    const input = page.getByRole('textbox', { name: 'Your message' });
    await input.fill(question);
    const streamed = page.waitForResponse((r) => r.url().endsWith('/messages/stream'));
    await input.press('Enter');
    const response = await streamed;
    expect(response.status()).toBe(200);
    expect(await response.headerValue('content-type')).toMatch(/^text\/event-stream/);
    await expect
      .poll(assistant, { timeout: 15_000 })
      .toContain(
        `You said: "${question}". This is turn 1 of our conversation. I am Papo's offline demo model: configure a real provider to get real answers.`,
      );
    expect(await page.locator('papo-chat .msg.user').allTextContents()).toEqual([`You: ${question}`]);
    await expectAccessible(page, 'first-run widget');
    await screenshot(page, '32-first-run-widget', false);
  });

  it('finds the widget conversation in the dashboard inbox', async () => {
    current = dashboard;
    await dashboard.bringToFront();
    await dashboard.getByRole('link', { name: 'Conversations' }).click();
    await dashboard.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor();
    // listed by default; the playground chat is a test conversation and is not
    const row = dashboard.getByRole('link', { name: question });
    await row.waitFor();
    expect(await dashboard.getByRole('row').count()).toBe(2); // header + the widget conversation
    await expectAccessible(dashboard, 'first-run inbox');
    await screenshot(dashboard, '33-first-run-inbox');
    await row.click();
    await dashboard.getByRole('heading', { name: 'Transcript' }).waitFor();
    await dashboard.getByText(`You said: "${question}".`, { exact: false }).first().waitFor();
  });

  it('stops cleanly on Ctrl-C', async () => {
    const exited = once(server!, 'exit');
    server!.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
