import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newWorkspace, operatorHeaders } from '../factories.js';
import { createTestApp, OPERATOR_TOKEN, type TestApp } from '../harness.js';
import {
  chromiumAvailable,
  ensureWebBuilt,
  expectAccessible,
  launchChromium,
  screenshot,
} from './support.js';

// The operator dashboard in a real browser against a real server: sign in, create an agent,
// chat in the playground, find that chat in the inbox by full text, read usage, manage keys,
// get the embed snippet; axe on every screen; screenshots in test-artifacts/screenshots/.
const run = chromiumAvailable();

describe.skipIf(!run)('dashboard (Chromium)', { timeout: 60_000 }, () => {
  let t: TestApp;
  let base: string;
  let workspaceId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuilt();
    t = await createTestApp({ env: { PAPO_DEMO_WORD_DELAY_MS: '5' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    workspaceId = await newWorkspace(t, 'default');
    browser = await launchChromium();
    // bypassCSP: the dashboard's CSP forbids inline scripts, and axe is injected as one
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      reducedMotion: 'reduce',
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshot(page, `failed-${ctx.task.name.slice(0, 40)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const admin = (url: string) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/admin/workspaces/${workspaceId}${url}`,
      headers: operatorHeaders,
    });

  it('signs in with the operator token', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.getByRole('heading', { name: 'Sign in to the Papo dashboard' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, '01-sign-in');

    await page.getByLabel('Operator token or admin key').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await page.getByLabel('Operator token or admin key').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/agents');
  });

  let agentName = '';
  it('creates an agent with the model picker and publishes it', async () => {
    agentName = `Helpdesk ${Date.now().toString(36)}`;
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(agentName);
    await page
      .getByRole('textbox', { name: 'Instructions', exact: true })
      .fill('You help customers track their parcels.');
    await page.getByLabel('Greeting', { exact: true }).fill('Hi! Ask me about your parcel.');
    await page.getByLabel('Warning message').fill('Are you still there?');
    // the model picker lists /v1/admin/models (the demo model is always there)
    await page.getByRole('combobox', { name: 'Model' }).click();
    await page.getByRole('option', { name: /Papo demo/ }).waitFor();
    await screenshot(page, '02-agent-new', false);
    await page.getByRole('option', { name: /Papo demo/ }).click();
    await page.getByLabel('Temperature').fill('0.4');
    await page.getByRole('button', { name: 'Create and publish' }).click();

    await page.getByRole('heading', { name: agentName, level: 1 }).waitFor();
    await page.getByText('version 1').waitFor();
    await expectAccessible(page, 'agent settings');
    await screenshot(page, '03-agent-settings');

    // an edit publishes version 2
    await page
      .getByRole('textbox', { name: 'Instructions', exact: true })
      .fill('You help customers track parcels. Be brief.');
    await page.getByRole('button', { name: 'Save and publish' }).click();
    await page.getByText('Saved. Version 2 is live.').waitFor();
    const agents = (await admin('/agents')).json<{
      items: Array<{ name: string; published_version: number; temperature: number }>;
    }>();
    expect(agents.items.find((a) => a.name === agentName)).toMatchObject({
      published_version: 2,
      temperature: 0.4,
    });

    await page.getByRole('tab', { name: 'Version history' }).click();
    await page.getByText('v2').first().waitFor();
    await screenshot(page, '04-agent-versions');
  });

  const secretWord = `zebra${Date.now().toString(36)}`;
  it('chats in the playground through the streaming API, with tokens, cost and latency', async () => {
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByLabel('Message').fill(`Where is my parcel ${secretWord}?`);
    await page.getByRole('button', { name: 'Send' }).click();
    const stats = page.getByTestId('reply-stats');
    await stats.waitFor();
    expect(await stats.textContent()).toMatch(
      /\d+ input \+ \d+ output tokens · .* s \(first token \d+ ms\) · demo:papo-demo/,
    );
    await expect
      .poll(() => page.getByRole('log').textContent())
      .toContain(`You said: "Where is my parcel ${secretWord}?"`);
    await expectAccessible(page, 'playground');
    await screenshot(page, '05-playground');
  });

  it('finds the conversation in the inbox by full-text search, with transcript, files and feedback', async () => {
    // a customer's conversation from a web page, with a file and an NPS score
    const agentsPage = (await admin('/agents')).json<{ items: Array<{ id: string; name: string }> }>();
    const agentId = agentsPage.items.find((a) => a.name === agentName)!.id;
    const pk = (await newKey(t, workspaceId, { type: 'public' })).key;
    const conv = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/public/agents/conversations',
        headers: { 'x-api-key': pk },
        payload: { agent_id: agentId, user_data: { name: 'Ana' } },
      })
    ).json<{ id: string; session_token: string }>();
    const h = { authorization: `Bearer ${conv.session_token}` };
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/public/agents/conversations/${conv.id}/messages`,
      headers: h,
      payload: { content: 'My order 4521 has not arrived' },
    });
    expect(sent.statusCode).toBe(200);
    await t.app.inject({
      method: 'POST',
      url: `/v1/public/agents/conversations/${conv.id}/feedback`,
      headers: h,
      payload: { score: 9, comment: 'Quick answer' },
    });

    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'My order 4521 has not arrived' }).waitFor();
    await expectAccessible(page, 'inbox');
    await screenshot(page, '06-inbox');

    // the playground conversation is a test conversation: hidden until asked for
    await page.getByRole('searchbox', { name: 'Search' }).fill(secretWord);
    await page.getByRole('link', { name: 'My order 4521 has not arrived' }).waitFor({ state: 'detached' });
    await page.getByText('1 test conversations hidden on the pages loaded.').waitFor();
    await page.getByLabel('Show test conversations').check();
    const row = page.getByRole('link', { name: `Where is my parcel ${secretWord}?` });
    await row.waitFor();
    expect(await page.getByRole('row').count()).toBe(2); // header + the one match
    await row.click();
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    await page.getByText(`You said: "Where is my parcel ${secretWord}?"`).first().waitFor();
    await page
      .getByText(/\d+ in \/ \d+ out tokens/)
      .first()
      .waitFor();

    // the customer's conversation: feedback shown
    await page.goto(`${base}/dashboard/conversations/${conv.id}`);
    await page.getByText('Quick answer').waitFor();
    await page.getByText('promoter').waitFor();
    await expectAccessible(page, 'conversation');
    await screenshot(page, '07-conversation');
  });

  it('shows usage per day, agent and model', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'By agent' }).waitFor();
    await page.getByRole('cell', { name: agentName }).waitFor();
    await page.getByRole('cell', { name: 'demo:papo-demo' }).waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    await expectAccessible(page, 'usage');
    await screenshot(page, '08-usage');
  });

  it('creates a public key with allowed origins (shown once) and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Shop site');
    const origins = page.getByRole('combobox', { name: 'Allowed origins' });
    await origins.fill('https://shop.example.com');
    await origins.press('Enter');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    const plaintext = await page.getByTestId('new-key').textContent();
    expect(plaintext).toMatch(/^papo_pk_[A-Za-z0-9]{40}$/);
    await screenshot(page, '09-key-created', false);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    const row = page.locator('tr[data-key-name="Shop site"]');
    await row.getByText('https://shop.example.com').waitFor();
    await expectAccessible(page, 'keys');
    await screenshot(page, '10-keys');

    await page.getByRole('button', { name: 'Revoke Shop site' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    const keys = (await admin('/api-keys?limit=100')).json<{
      items: Array<{ name: string; revoked_at: string | null }>;
    }>();
    expect(keys.items.find((k) => k.name === 'Shop site')?.revoked_at).not.toBeNull();
    // the revoked key is refused at once
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/public/agents/conversations',
      headers: { 'x-api-key': plaintext!, origin: 'https://shop.example.com' },
      payload: { agent_id: '00000000-0000-7000-8000-000000000000' },
    });
    expect(refused.statusCode).toBe(401);
  });

  it('prefills the embed snippet with the agent and a new public key', async () => {
    await page.getByRole('link', { name: 'Embed' }).click();
    await page.getByRole('heading', { name: 'Embed the chat widget', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: agentName }).click();
    await page.getByRole('button', { name: 'Create public key' }).click();
    const key = await page.getByTestId('new-key').textContent();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const snippet = await page.getByTestId('embed-snippet').textContent();
    const agents = (await admin('/agents')).json<{ items: Array<{ id: string; name: string }> }>();
    expect(snippet).toContain(`src="${base}/widget.js"`);
    expect(snippet).toContain(`data-agent-id="${agents.items.find((a) => a.name === agentName)!.id}"`);
    expect(snippet).toContain(`data-public-key="${key}"`);
    expect(snippet).toContain('data-greeting="Hi! Ask me about your parcel."');
    await expectAccessible(page, 'embed');
    await screenshot(page, '11-embed');
  });

  it('switches to Portuguese', async () => {
    await page.getByText('PT-BR', { exact: true }).click();
    await page.getByRole('heading', { name: 'Incorporar o widget de chat', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Conversas' }).click();
    await page.getByRole('heading', { name: 'Conversas', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pt-BR');
    await expectAccessible(page, 'inbox (pt-BR)');
    await screenshot(page, '12-inbox-pt-br');
  });
});
