import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace, operatorHeaders } from '../factories.js';
import { createTestApp, OPERATOR_TOKEN, type TestApp } from '../harness.js';
import { multipartBody } from '../multipart.js';
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

  const agentIdByName = async (name: string) =>
    (await admin('/agents'))
      .json<{ items: Array<{ id: string; name: string }> }>()
      .items.find((a) => a.name === name)!.id;

  /** Everything the dashboard keeps in this browser's localStorage. */
  const stored = (p: Page): Promise<Record<string, string>> =>
    p.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  const keyMaterial = (entries: Record<string, string>) =>
    Object.keys(entries).filter((k) =>
      ['papo.dashboard.credential', 'papo.dashboard.agentKey.', 'papo.dashboard.publicKeys.'].some((p) =>
        k.startsWith(p),
      ),
    );

  const switchWorkspace = async (name: string) => {
    await page.getByRole('combobox', { name: 'Workspace' }).click();
    await page.getByRole('option', { name, exact: true }).click();
  };

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

  it('names the browser tab after the screen, focuses its heading on navigation, and has a skip link', async () => {
    expect(await page.title()).toBe('Agents · Papo');
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    expect(await page.title()).toBe('Usage · Papo');
    // a screen reader hears the new screen's heading, as after a page load
    await expect
      .poll(() =>
        page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`),
      )
      .toBe('H1 Usage');

    // the first Tab of a page reaches the skip link, which moves the focus past the header and menu
    await page.goto(`${base}/dashboard/keys`);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    expect(await page.title()).toBe('API keys · Papo');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to main content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await expectAccessible(page, 'skip link');
    await screenshot(page, '40-skip-link', false);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.tagName.toLowerCase())).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New key');
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
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

  it('puts an earlier version live again from the history, as a new version', async () => {
    const v1 = page.getByRole('article', { name: 'Version 1' });
    await v1.getByRole('button', { name: 'Put v1 live' }).click();
    const dialog = page.getByRole('dialog', { name: 'Put version 1 live again?' });
    await dialog.waitFor();
    await expectAccessible(page, 'version restore dialog');
    await dialog.getByRole('button', { name: 'Put it live' }).click();
    await page.getByText('Version 1 is live again, as version 3.').waitFor();
    const v3 = page.getByRole('article', { name: 'Version 3' });
    await v3.getByText('Restored from version 1').waitFor();
    await v3.getByText('live', { exact: true }).waitFor();
    await page.getByText('version 3', { exact: true }).waitFor(); // the header badge
    await expectAccessible(page, 'version history');
    await screenshot(page, '04-agent-versions-restored');
    const agent = (await admin('/agents')).json<{
      items: Array<{ name: string; published_version: number; instructions: string }>;
    }>();
    expect(agent.items.find((a) => a.name === agentName)).toMatchObject({
      published_version: 3,
      instructions: 'You help customers track their parcels.',
    });
    // the settings tab shows what is live now
    await page.getByRole('tab', { name: 'Settings' }).click();
    expect(await page.getByRole('textbox', { name: 'Instructions', exact: true }).inputValue()).toBe(
      'You help customers track their parcels.',
    );
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

  it('keeps the playground conversation across tabs, busy while streaming, and closes it on "New conversation"', async () => {
    // the transcript is a live region: busy while a reply streams in, so it is read once, whole
    await page.getByRole('log').evaluate((el) => {
      const w = window as unknown as { busyValues: Array<string | null> };
      w.busyValues = [el.getAttribute('aria-busy')];
      new MutationObserver(() => w.busyValues.push(el.getAttribute('aria-busy'))).observe(el, {
        attributes: true,
        attributeFilter: ['aria-busy'],
      });
    });
    await page.getByLabel('Message').fill('And tomorrow?');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('reply-stats').count()).toBe(2);
    const busy = await page.evaluate(() => (window as unknown as { busyValues: string[] }).busyValues);
    expect(busy).toContain('true');
    expect(busy.at(-1)).toBe('false');

    // another tab and back: the conversation is still there
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('textbox', { name: 'Instructions', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByRole('log').getByText('This is turn 2 of our conversation.').waitFor();
    expect(await page.getByTestId('reply-stats').count()).toBe(2);

    // "New conversation" closes the test session instead of leaving it open until it expires
    const [session] = (await admin(`/conversations?is_test=true&search=${secretWord}`)).json<{
      items: Array<{ id: string; status: string }>;
    }>().items;
    expect(session?.status).toBe('active');
    await page.getByRole('button', { name: 'New conversation' }).click();
    expect(await page.getByTestId('reply-stats').count()).toBe(0);
    await expect
      .poll(async () => (await admin(`/conversations/${session!.id}`)).json<Record<string, unknown>>())
      .toMatchObject({ status: 'closed', close_reason: 'playground_reset' });
  });

  it('marks a playground reply whose stream ends before the reply is complete as failed', async () => {
    // a proxy cuts the stream after one delta: neither agent_message.completed nor error arrives
    const cut = [
      'retry: 3000',
      '',
      'id: 1',
      'event: stream.started',
      'data: {"stream_id":"s","session_id":"x"}',
      '',
      'id: 2',
      'event: agent_message.delta',
      'data: {"message_id":"m","delta":"Half a rep"}',
      '',
      '',
    ].join('\n');
    const stream = (url: URL) => url.pathname.endsWith('/messages/stream');
    await page.route(stream, (route) =>
      route.fulfill({ status: 200, contentType: 'text/event-stream', body: cut }),
    );
    try {
      await page.getByLabel('Message').fill('Are you there?');
      await page.getByRole('button', { name: 'Send' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'The connection ended before the reply was complete.' })
        .waitFor();
      // the half reply stays visible, marked as failed
      await expect.poll(() => page.locator('[data-role="assistant"][data-failed="true"]').count()).toBe(1);
      await page.locator('[data-failed="true"]').getByText('Half a rep').waitFor();
      await page.locator('[data-failed="true"]').getByText('failed', { exact: true }).waitFor();
    } finally {
      await page.unroute(stream);
    }
    await expectAccessible(page, 'playground with an interrupted reply');
    await screenshot(page, '41-playground-interrupted', false);
    await page.getByRole('button', { name: 'New conversation' }).click();
  });

  it('shows the server objection on the input it concerns (a name another agent has)', async () => {
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('link', { name: 'New agent' }).click();
    const name = page.getByRole('textbox', { name: 'Name', exact: true });
    await name.fill(agentName.toUpperCase()); // names are unique whatever the case
    await page.getByRole('textbox', { name: 'Instructions', exact: true }).fill('A second helpdesk.');
    await page.getByRole('button', { name: 'Create and publish' }).click();
    await page.getByText('another agent of this workspace already has this name').waitFor();
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await name.getAttribute('aria-describedby'))!.split(' ');
    const descriptions = await Promise.all(
      describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()),
    );
    expect(descriptions).toContain('another agent of this workspace already has this name');
    await page.getByRole('alert').getByText('Some values are not accepted').waitFor();
    await expectAccessible(page, 'agent form with a field error');
    await screenshot(page, '42-agent-name-taken');
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
    const receipt = 'Receipt 4521: paid on 2 December.';
    const form = multipartBody([
      { name: 'file', filename: 'receipt-4521.txt', contentType: 'text/plain', data: receipt },
    ]);
    const uploaded = await t.app.inject({
      method: 'POST',
      url: `/v1/public/agents/conversations/${conv.id}/files`,
      headers: { ...h, ...form.headers },
      payload: form.payload,
    });
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    const fileId = uploaded.json<{ id: string }>().id;
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/public/agents/conversations/${conv.id}/messages`,
      headers: h,
      payload: {
        content: [
          { type: 'text', text: 'My order 4521 has not arrived' },
          { type: 'file', file_id: fileId },
        ],
      },
    });
    expect(sent.statusCode, sent.body).toBe(200);
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

    // the playground conversation is a test conversation (is_test, set when the playground
    // created its session): the server leaves it out until the toggle asks for it
    const listed = page.waitForRequest(
      (r) => r.url().includes('/conversations?') && r.url().includes(`search=${secretWord}`),
    );
    await page.getByRole('searchbox', { name: 'Search' }).fill(secretWord);
    expect(new URL((await listed).url()).searchParams.get('is_test')).toBe('false');
    await page.getByRole('link', { name: 'My order 4521 has not arrived' }).waitFor({ state: 'detached' });
    await page.getByText('No conversations match.').waitFor();
    const tests = (await admin(`/conversations?is_test=true&search=${secretWord}`)).json<{
      items: Array<{ is_test: boolean; metadata: Record<string, unknown> }>;
    }>();
    expect(tests.items).toMatchObject([{ is_test: true }]);
    const withTests = page.waitForRequest(
      (r) => r.url().includes('/conversations?') && r.url().includes(`search=${secretWord}`),
    );
    await page.getByLabel('Show test conversations').check();
    expect(new URL((await withTests).url()).searchParams.has('is_test')).toBe(false);
    const row = page.getByRole('link', { name: `Where is my parcel ${secretWord}?` });
    await row.waitFor();
    expect(await page.getByRole('row').count()).toBe(2); // header + the one match
    expect(await page.getByRole('row').nth(1).getByText('test', { exact: true }).count()).toBe(1);
    await screenshot(page, '17-inbox-with-tests', false);
    await row.click();
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    await page.getByText(`You said: "Where is my parcel ${secretWord}?"`).first().waitFor();
    await page
      .getByText(/\d+ in \/ \d+ out tokens/)
      .first()
      .waitFor();

    // the customer's conversation: feedback shown, the file in the message and in Files, downloadable
    await page.goto(`${base}/dashboard/conversations/${conv.id}`);
    await page.getByText('Quick answer').waitFor();
    await page.getByText('promoter').waitFor();
    const fileLinks = page.getByRole('button', { name: 'Download receipt-4521.txt' });
    await fileLinks.first().waitFor();
    expect(await fileLinks.count()).toBe(2); // in the customer's message and in the Files card
    const download = page.waitForEvent('download');
    await fileLinks.first().click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe('receipt-4521.txt');
    expect(readFileSync((await saved.path())!, 'utf8')).toBe(receipt);
    await expectAccessible(page, 'conversation');
    await screenshot(page, '07-conversation');
  });

  it('renders message Markdown in the transcript as elements, never as HTML', async () => {
    const agentId = await agentIdByName(agentName);
    const pk = (await newKey(t, workspaceId, { type: 'public' })).key;
    const conv = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/public/agents/conversations',
        headers: { 'x-api-key': pk },
        payload: { agent_id: agentId },
      })
    ).json<{ id: string; session_token: string }>();
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/public/agents/conversations/${conv.id}/messages`,
      headers: { authorization: `Bearer ${conv.session_token}` },
      payload: {
        content:
          'Please **check this**:\n\n- first item\n- second item\n\n[tracking](https://example.com/track) <img src=x onerror="window.__pwned=1">',
      },
    });
    expect(sent.statusCode).toBe(200);

    await page.goto(`${base}/dashboard/conversations/${conv.id}`);
    const user = page.locator('[data-role="user"]').first();
    await user.locator('strong').first().waitFor();
    expect(await user.locator('strong').first().textContent()).toBe('check this');
    expect(await user.locator('li').allTextContents()).toEqual(['first item', 'second item']);
    const links = await user
      .locator('a')
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]));
    expect(links).toEqual([['tracking', 'https://example.com/track', 'noopener noreferrer nofollow']]);
    // the raw HTML is shown as text: no element, no handler ran
    expect(await page.locator('main img').count()).toBe(0);
    expect(await user.textContent()).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // the title (the first 80 characters of the first message) is shown without Markdown syntax
    expect(await page.locator('h1').first().textContent()).toMatch(
      /^Please check this: first item second item/,
    );
    await expectAccessible(page, 'conversation with Markdown');
    await screenshot(page, '18-conversation-markdown', false);
  });

  it('shows usage per day, agent and model', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'By agent' }).waitFor();
    await page.getByRole('cell', { name: agentName }).waitFor();
    await page.getByRole('cell', { name: 'demo:papo-demo' }).waitFor();
    await page.locator('.recharts-surface').first().waitFor();
    // the server counts per UTC day: the range is UTC dates, labelled so, ending today in UTC
    await page.getByText('Days are UTC days').waitFor();
    await page.getByRole('heading', { name: 'Messages per day (UTC)' }).waitFor();
    const todayUtc = await page.evaluate(() => new Date().toISOString().slice(0, 10));
    expect(await page.getByLabel('To (UTC)').inputValue()).toBe(todayUtc);
    await page.getByLabel('From (UTC)').waitFor();
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

  let embedKey = '';
  it('prefills the embed snippet with the agent and a new public key', async () => {
    await page.getByRole('link', { name: 'Embed' }).click();
    await page.getByRole('heading', { name: 'Embed the chat widget', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: agentName }).click();
    await page.getByRole('button', { name: 'Create public key' }).click();
    const key = await page.getByTestId('new-key').textContent();
    embedKey = key!;
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const snippet = await page.getByTestId('embed-snippet').textContent();
    const agents = (await admin('/agents')).json<{ items: Array<{ id: string; name: string }> }>();
    expect(snippet).toContain(`src="${base}/widget.js"`);
    expect(snippet).toContain(`data-agent-id="${agents.items.find((a) => a.name === agentName)!.id}"`);
    expect(snippet).toContain(`data-public-key="${key}"`);
    // the widget reads the greeting (and the agent's name) from the server
    expect(snippet).not.toContain('data-greeting');
    expect(snippet).not.toContain('data-title');
    await expectAccessible(page, 'embed');
    await screenshot(page, '11-embed');
  });

  let terseId = '';
  it('pairs an agent only with a public key that may be used with it', async () => {
    // the key made above is limited to the helpdesk agent (agent_ids): no snippet for another agent
    terseId = await newAgent(t, workspaceId, {
      name: 'Terse',
      model: 'demo:papo-demo',
      max_output_tokens: 3,
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Embed the chat widget', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: 'Terse', exact: true }).click();
    await page.getByTestId('no-key-for-agent').waitFor();
    expect(await page.getByTestId('embed-snippet').count()).toBe(0);
    expect(await page.getByRole('combobox', { name: 'Public key created in this browser' }).count()).toBe(0);
    await expectAccessible(page, 'embed without a usable key');
    await screenshot(page, '43-embed-no-key-for-agent');
    await page.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: agentName }).click();
    expect(await page.getByTestId('embed-snippet').textContent()).toContain(`data-public-key="${embedKey}"`);
  });

  it('shows a playground reply cut at the output-token limit as cut short', async () => {
    await page.goto(`${base}/dashboard/agents/${terseId}`);
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByLabel('Message').fill('Tell me everything about my parcels');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('reply-stats').waitFor();
    await page.getByRole('log').getByText('cut at token limit').waitFor();
  });

  it('manages a knowledge base: text records, file uploads that become records, an agent link', async () => {
    await page.getByRole('link', { name: 'Knowledge' }).click();
    await page.getByRole('heading', { name: 'Knowledge bases', level: 1 }).waitFor();
    await page.getByText('No knowledge bases yet.').waitFor();
    await page.getByRole('button', { name: 'New knowledge base' }).click();
    const dialog = page.getByRole('dialog', { name: 'New knowledge base' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Parcel policies');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('Shipping, returns and fees.');
    await dialog.getByRole('button', { name: 'Create' }).click();

    // the new base's page: add a text record
    await page.getByRole('heading', { name: 'Parcel policies', level: 1 }).waitFor();
    await page.getByRole('textbox', { name: 'Title (optional)' }).fill('Returns');
    await page
      .getByRole('textbox', { name: 'Text' })
      .fill('Returns are accepted within 30 days of delivery.');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByText('Record added.').waitFor();
    await page.locator('[data-record-title="Returns"]').waitFor();
    await page.getByRole('heading', { name: 'Records (1)' }).waitFor();

    // upload two small files; each is processing, then ready with its records
    await page.locator('input[type=file]').setInputFiles([
      {
        name: 'shipping.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('Parcels ship within two business days.\n\nExpress delivery costs 15 reais.\n'),
      },
      { name: 'old.md', mimeType: 'text/markdown', buffer: Buffer.from('# Old\n\nAn outdated note.\n') },
    ]);
    const shipping = page.locator('tr[data-file-name="shipping.txt"]');
    await shipping.getByText('ready').waitFor({ timeout: 20_000 });
    await shipping.getByText(/^[1-9]\d* records?$/).waitFor();
    await page.locator('tr[data-file-name="old.md"]').getByText('ready').waitFor({ timeout: 20_000 });
    await page.getByText('from shipping.txt').first().waitFor();

    // search the records
    const search = page.getByRole('searchbox', { name: 'Search records' });
    await search.fill('express');
    await page.locator('[data-record-title="Returns"]').waitFor({ state: 'detached' });
    await page.getByText('Express delivery costs 15 reais.').first().waitFor();
    await search.fill('');
    await page.locator('[data-record-title="Returns"]').waitFor();

    // delete a file (its records go too) and a manual record
    await page.getByRole('button', { name: 'Delete file old.md' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this file?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.locator('tr[data-file-name="old.md"]').waitFor({ state: 'detached' });
    await page.getByText('from old.md').waitFor({ state: 'detached' });
    await page.getByRole('textbox', { name: 'Text' }).fill('A record to delete.');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByText('A record to delete.').waitFor();
    await page.getByRole('button', { name: 'Delete record A record to delete.' }).click();
    await page.getByText('A record to delete.').waitFor({ state: 'detached' });

    const kbs = (await admin('/knowledge-bases')).json<{
      items: Array<{ id: string; name: string; records_count: number; files_count: number }>;
    }>();
    const kb = kbs.items.find((b) => b.name === 'Parcel policies')!;
    expect(kb.files_count).toBe(1);
    expect(kb.records_count).toBeGreaterThanOrEqual(2);
    await page.getByRole('heading', { name: `Records (${kb.records_count})` }).waitFor();
    await expectAccessible(page, 'knowledge base');
    await page.mouse.move(0, 0); // no tooltip in the picture
    await screenshot(page, '14-knowledge-base');

    // the list: rename, and delete another base
    await page.getByRole('link', { name: 'All knowledge bases' }).click();
    await page.getByRole('button', { name: 'New knowledge base' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Name' }).fill('Temporary');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Temporary', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'All knowledge bases' }).click();
    await page.getByRole('button', { name: 'Delete Temporary' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-kb-name="Temporary"]').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Rename Parcel policies' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Name' }).fill('Parcel FAQ');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const row = page.locator('tr[data-kb-name="Parcel FAQ"]');
    await row.waitFor();
    await row.getByRole('cell', { name: String(kb.records_count), exact: true }).waitFor();
    await expectAccessible(page, 'knowledge bases');
    await screenshot(page, '13-knowledge-bases');

    // the agent searches it
    const agentId = await agentIdByName(agentName);
    await page.goto(`${base}/dashboard/agents/${agentId}`);
    await page.getByRole('tab', { name: 'Knowledge' }).click();
    await page.getByRole('combobox', { name: 'Knowledge bases this agent searches' }).click();
    await page.getByRole('option', { name: 'Parcel FAQ' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    const links = (await admin(`/agents/${agentId}/knowledge-bases`)).json<{
      knowledge_base_ids: string[];
    }>();
    expect(links.knowledge_base_ids).toEqual([kb.id]);
    await expectAccessible(page, 'agent knowledge');
    await screenshot(page, '16-agent-knowledge');
  });

  it('adds, edits and deletes an agent ability', async () => {
    const agentId = await agentIdByName(agentName);
    await page.getByRole('tab', { name: 'Abilities' }).click();
    await page.getByText('No abilities yet.').waitFor();
    const add = async (name: string, instructions: string) => {
      await page.getByRole('button', { name: 'Add ability' }).click();
      const dialog = page.getByRole('dialog', { name: 'New ability' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
      await dialog.getByRole('textbox', { name: 'Instructions' }).fill(instructions);
      await dialog.getByRole('button', { name: 'Create' }).click();
      return dialog;
    };
    const refunds = await add(
      'Refunds',
      'When a customer asks for a refund, ask for the order number first.',
    );
    await refunds.waitFor({ state: 'detached' });
    await page.locator('[data-ability="Refunds"]').waitFor();
    const tone = await add('Tone', 'Answer in a friendly, short way.');
    await tone.waitFor({ state: 'detached' });

    // names are unique per agent, whatever the case
    const dup = await add('refunds', 'Something else.');
    await dup.getByText('This agent already has an ability with that name.').waitFor();
    await expectAccessible(page, 'ability form with an error');
    await dup.getByRole('button', { name: 'Cancel' }).click();
    await dup.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Edit Refunds' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit ability' });
    await edit.getByRole('textbox', { name: 'Description (optional)' }).fill('Refund requests');
    await edit
      .getByRole('textbox', { name: 'Instructions' })
      .fill('Ask for the order number, then explain the 30-day refund policy.');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.getByText('Ask for the order number, then explain the 30-day refund policy.').waitFor();
    await expectAccessible(page, 'agent abilities');
    await screenshot(page, '15-agent-abilities');

    await page.getByRole('button', { name: 'Delete Tone' }).click();
    await page
      .getByRole('dialog', { name: 'Delete this ability?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.locator('[data-ability="Tone"]').waitFor({ state: 'detached' });
    const list = (await admin(`/agents/${agentId}/abilities`)).json<{
      items: Array<{ name: string; description: string | null; instructions: string }>;
    }>();
    expect(list.items).toEqual([
      expect.objectContaining({
        name: 'Refunds',
        description: 'Refund requests',
        instructions: 'Ask for the order number, then explain the 30-day refund policy.',
      }),
    ]);
  });

  let bulkId = '';
  it('starts from the list screen, with no state of the previous workspace, after a workspace switch', async () => {
    // a second workspace, with more agents and keys than one page of the API (100)
    bulkId = await newWorkspace(t, 'bulk');
    const pad = (i: number) => String(i).padStart(3, '0');
    for (let i = 0; i < 105; i++) await newAgent(t, bulkId, { name: `Bulk agent ${pad(i)}` });
    for (let i = 0; i < 105; i++) await newKey(t, bulkId, { type: 'public', name: `Bulk key ${pad(i)}` });
    await page.reload(); // the workspace list is read once per sign-in

    // an inbox filter of this workspace's agent is not applied in the other workspace
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('combobox', { name: 'Agent' }).click();
    const filtered = page.waitForRequest(
      (r) => r.url().includes('/conversations?') && r.url().includes('agent_id='),
    );
    await page.getByRole('option', { name: agentName }).click();
    await filtered;
    const listed = page.waitForRequest((r) => r.url().includes(`/workspaces/${bulkId}/conversations?`));
    await switchWorkspace('bulk');
    expect(new URL((await listed).url()).searchParams.has('agent_id')).toBe(false);
    expect(await page.getByRole('combobox', { name: 'Agent' }).inputValue()).toBe('');

    // an agent's page belongs to its workspace: switching goes to the other workspace's list
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('link', { name: 'Bulk agent 000', exact: true }).click();
    await page.getByRole('heading', { name: 'Bulk agent 000', level: 1 }).waitFor();
    await switchWorkspace('default');
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard/agents');
    await page.getByRole('link', { name: agentName }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await switchWorkspace('bulk');
    await page.getByRole('link', { name: 'Bulk agent 104', exact: true }).waitFor();
  });

  it('lists every agent and key past the first page, the oldest ones usable', async () => {
    // the Agents screen and the shared agent list (the inbox filter) read every page
    await page.getByRole('link', { name: 'Bulk agent 000', exact: true }).waitFor();
    expect(await page.getByRole('row').count()).toBe(1 + 105);
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('combobox', { name: 'Agent' }).click();
    await page.getByRole('option', { name: 'Bulk agent 000', exact: true }).waitFor();
    await page.keyboard.press('Escape');

    // the oldest key is listed and can be revoked
    await page.getByRole('link', { name: 'API keys' }).click();
    const oldest = page.locator('tr[data-key-name="Bulk key 000"]');
    await oldest.waitFor();
    expect(await page.locator('tr[data-key-name^="Bulk key "]').count()).toBe(105);
    await page.getByRole('button', { name: 'Revoke Bulk key 000' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await oldest.waitFor({ state: 'detached' });
    const keys: Array<{ name: string; revoked_at: string | null }> = [];
    for (let offset: number | null = 0; offset !== null;) {
      const res: Awaited<ReturnType<typeof admin>> = await t.app.inject({
        method: 'GET',
        url: `/v1/admin/workspaces/${bulkId}/api-keys?limit=100&offset=${offset}`,
        headers: operatorHeaders,
      });
      const batch: { items: typeof keys; next_offset: number | null } = res.json();
      keys.push(...batch.items);
      offset = batch.next_offset;
    }
    expect(keys.find((k) => k.name === 'Bulk key 000')?.revoked_at).not.toBeNull();
  });

  it('shows each conversation once while new ones shift the inbox pages', async () => {
    const agents = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/admin/workspaces/${bulkId}/agents?search=Bulk%20agent%20000`,
        headers: operatorHeaders,
      })
    ).json<{ items: Array<{ id: string }> }>();
    const sk = (await newKey(t, bulkId)).key;
    const startSession = async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/agents/${agents.items[0]!.id}/sessions`,
        headers: { 'x-api-key': sk },
        payload: {},
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    for (let i = 0; i < 51; i++) await startSession();
    await page.reload(); // the inbox of this workspace was read a moment ago, empty
    await page.getByRole('link', { name: 'Conversations' }).click();
    await expect.poll(() => page.getByRole('row').count()).toBe(1 + 50);
    // a new conversation moves every row one place down: the next page repeats the last row
    await startSession();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    const hrefs = await page
      .locator('tbody a[href*="/conversations/"]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.length).toBeGreaterThanOrEqual(51);
    expect(new Set(hrefs).size).toBe(hrefs.length);
    await switchWorkspace('default');
    await page.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor();
  });

  it('switches to Portuguese', async () => {
    await page.getByRole('link', { name: 'Embed' }).click();
    await page.getByText('PT-BR', { exact: true }).click();
    await page.getByRole('heading', { name: 'Incorporar o widget de chat', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Conversas' }).click();
    await page.getByRole('heading', { name: 'Conversas', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('pt-BR');
    await expectAccessible(page, 'inbox (pt-BR)');
    await screenshot(page, '12-inbox-pt-br');
    await page.getByRole('link', { name: 'Conhecimento' }).click();
    await page.getByRole('heading', { name: 'Bases de conhecimento', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Parcel FAQ' }).click();
    await page.getByRole('heading', { name: 'Adicionar um registro de texto' }).waitFor();
    await page.locator('tr[data-file-name="shipping.txt"]').getByText('pronto').waitFor();
    await expectAccessible(page, 'knowledge base (pt-BR)');
    await screenshot(page, '19-knowledge-base-pt-br');
  });
  it('writes numbers, close reasons and errors the Brazilian way in Portuguese', async () => {
    // latency with a decimal comma
    await page.goto(`${base}/dashboard/agents/${await agentIdByName(agentName)}`);
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByLabel('Mensagem').fill('Olá');
    await page.getByRole('button', { name: 'Enviar' }).click();
    const stats = page.getByTestId('reply-stats');
    await stats.waitFor();
    expect(await stats.textContent()).toMatch(/ · \d+,\d{2} s \(primeiro token em [\d.]+ ms\)/);

    // Papo's own close reason in words (the playground session closed by "New conversation")
    const [closed] = (await admin(`/conversations?is_test=true&search=${secretWord}`)).json<{
      items: Array<{ id: string }>;
    }>().items;
    await page.goto(`${base}/dashboard/conversations/${closed!.id}`);
    await page.getByText('Nova conversa no playground').waitFor();

    // the browser's "Failed to fetch" becomes a sentence, the original kept as a detail
    const conversations = (url: URL) => url.pathname.endsWith('/conversations');
    await page.route(conversations, (route) => route.abort('internetdisconnected'));
    try {
      await page.getByRole('link', { name: 'Conversas', exact: true }).click();
      const alert = page
        .getByRole('alert')
        .filter({ hasText: 'Não foi possível conectar ao servidor do Papo' });
      await alert.waitFor();
      expect(await alert.getByTestId('error-detail').textContent()).toMatch(/^Detalhes: /);
      await expectAccessible(page, 'network error (pt-BR)');
      await screenshot(page, '44-network-error-pt-br', false);
    } finally {
      await page.unroute(conversations);
    }
  });

  it('signs out: revokes the playground key and forgets every key this browser kept', async () => {
    const before = await stored(page);
    const entry = before[`papo.dashboard.agentKey.${workspaceId}`];
    expect(entry).toBeDefined();
    const playgroundKey = (JSON.parse(entry!) as { key: string }).key;
    expect(Object.keys(before).some((k) => k.startsWith('papo.dashboard.publicKeys.'))).toBe(true);
    const agentId = await agentIdByName(agentName);
    const newSession = () =>
      t.app.inject({
        method: 'POST',
        url: `/v1/agents/${agentId}/sessions`,
        headers: { 'x-api-key': playgroundKey },
        payload: { is_test: true },
      });
    expect((await newSession()).statusCode).toBe(200);

    await page.getByRole('button', { name: 'Sair' }).click();
    await page.getByRole('heading', { name: 'Entrar no painel do Papo' }).waitFor();
    expect(keyMaterial(await stored(page))).toEqual([]);
    expect((await newSession()).statusCode).toBe(401);
  });

  it('forgets the kept keys when the server stops taking the credential (401)', async () => {
    const adminKey = await newKey(t, workspaceId, {
      type: 'secret',
      name: 'Admin for a while',
      scopes: ['agent:run', 'admin'],
    });
    const other = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      reducedMotion: 'reduce',
    });
    const p = await other.newPage();
    p.setDefaultTimeout(10_000);
    try {
      await p.goto(`${base}/dashboard/`);
      await p.getByLabel('Operator token or admin key').fill(adminKey.key);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
      // a public key made here is remembered in the browser for the Embed snippet
      await p.getByRole('link', { name: 'API keys' }).click();
      await p.getByRole('button', { name: 'New key' }).click();
      await p.getByRole('textbox', { name: 'Name', exact: true }).fill('Kept in the browser');
      await p.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await p.getByRole('button', { name: 'I have stored it' }).click();
      await p.getByRole('dialog').waitFor({ state: 'detached' });
      expect(keyMaterial(await stored(p)).sort()).toEqual([
        'papo.dashboard.credential',
        `papo.dashboard.publicKeys.${workspaceId}`,
      ]);

      // the admin key is revoked elsewhere: the next request answers 401 and the dashboard signs out
      const revoked = await t.app.inject({
        method: 'DELETE',
        url: `/v1/admin/workspaces/${workspaceId}/api-keys/${adminKey.id}`,
        headers: operatorHeaders,
      });
      expect(revoked.statusCode, revoked.body).toBeLessThan(300);
      await p.getByRole('link', { name: 'Usage' }).click();
      await p.getByRole('heading', { name: 'Sign in to the Papo dashboard' }).waitFor();
      expect(keyMaterial(await stored(p))).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
