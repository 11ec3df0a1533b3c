import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, newKey, newWorkspace, operatorHeaders, setAgentStatus } from '../factories.js';
import { PNG } from '../fixtures.js';
import { createTestApp, type TestApp } from '../harness.js';
import {
  chromiumAvailable,
  ensureWebBuilt,
  expectAccessible,
  launchChromium,
  screenshot,
} from './support.js';

// The widget as a site owner uses it: one <script> tag on a page of another origin (another
// port on 127.0.0.1) whose CSS tries hard to break it; a real Papo server behind.
const run = chromiumAvailable();

const HOSTILE_CSS = `
* { font-family: "Comic Sans MS", cursive !important; color: #c00 !important; letter-spacing: 3px !important;
    box-sizing: content-box !important; }
div, button, textarea, form, input { display: block !important; width: 10px !important; height: 10px !important;
    border: 5px dashed lime !important; background: yellow !important; }
body { margin: 0; padding: 24px; }
`;

function hostPage(o: {
  lang: string;
  api: string;
  agentId: string;
  publicKey: string;
  extra: string;
}): string {
  return `<!doctype html>
<html lang="${o.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Loja Exemplo</title><style>${HOSTILE_CSS}</style></head>
<body><main><h1>Loja Exemplo</h1><p>Bem-vindo à nossa loja. <a href="#ofertas">Ofertas</a></p></main>
<script src="${o.api}/widget.js" data-agent-id="${o.agentId}" data-public-key="${o.publicKey}" ${o.extra} async></script>
</body></html>`;
}

describe.skipIf(!run)('chat widget (Chromium)', { timeout: 60_000 }, () => {
  let t: TestApp;
  let api: string;
  let host: http.Server;
  let site: string;
  let workspaceId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shopId: string;
  let duoId: string;
  let pausaId: string;
  const pages = new Map<string, string>();

  beforeAll(async () => {
    await ensureWebBuilt();
    // words arrive 60 ms apart, so a reply takes ~1.5 s: long enough to reload in the middle
    t = await createTestApp({ env: { PAPO_DEMO_WORD_DELAY_MS: '60' } });
    api = await t.app.listen({ port: 0, host: '127.0.0.1' });
    host = http.createServer((req, res) => {
      const body = pages.get((req.url ?? '/').split('?')[0]!);
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    site = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

    workspaceId = await newWorkspace(t);
    const shop = await newAgent(t, workspaceId, { name: 'Loja', greeting: 'Olá! Como posso ajudar?' });
    const idle = await newAgent(t, workspaceId, {
      name: 'Idle',
      greeting: 'Hi there!',
      inactivity: { warning_message: 'Are you still there?', final_message: 'Closing this chat. Bye!' },
    });
    // the key only works from the test site's origin
    const pk = (await newKey(t, workspaceId, { type: 'public', allowed_origins: [site] })).key;
    pages.set(
      '/',
      hostPage({
        lang: 'pt-BR',
        api,
        agentId: shop,
        publicKey: pk,
        // no data-greeting: the widget reads the agent's own greeting from the server
        extra: 'data-title="Loja Exemplo" data-idle-warning-seconds="0"',
      }),
    );
    pages.set(
      '/en',
      hostPage({
        lang: 'en',
        api,
        agentId: idle,
        publicKey: pk,
        extra: 'data-idle-warning-seconds="1" data-idle-final-seconds="1"',
      }),
    );
    // an agent that cannot take conversations now
    const closed = await newAgent(t, workspaceId, { name: 'Fechado', greeting: 'Olá!' });
    await setAgentStatus(t, workspaceId, closed, 'inactive');
    pages.set('/closed', hostPage({ lang: 'pt-BR', api, agentId: closed, publicKey: pk, extra: '' }));
    // two tabs of one site sharing a conversation, with short idle steps
    duoId = await newAgent(t, workspaceId, {
      name: 'Duo',
      inactivity: { warning_message: 'Still with us?', final_message: 'Closing now.' },
    });
    pages.set(
      '/duo',
      hostPage({
        lang: 'en',
        api,
        agentId: duoId,
        publicKey: pk,
        extra: 'data-idle-warning-seconds="3" data-idle-final-seconds="3"',
      }),
    );
    // the warning step turned off: the final one still comes
    pages.set(
      '/final-only',
      hostPage({
        lang: 'en',
        api,
        agentId: idle,
        publicKey: pk,
        extra: 'data-idle-warning-seconds="0" data-idle-final-seconds="1"',
      }),
    );
    pausaId = await newAgent(t, workspaceId, { name: 'Pausa' });
    pages.set('/pausa', hostPage({ lang: 'pt-BR', api, agentId: pausaId, publicKey: pk, extra: '' }));
    // a key that only works on another site
    const foreignKey = (
      await newKey(t, workspaceId, { type: 'public', allowed_origins: ['https://elsewhere.example'] })
    ).key;
    pages.set(
      '/wrong-origin',
      hostPage({ lang: 'pt-BR', api, agentId: shop, publicKey: foreignKey, extra: '' }),
    );
    shopId = shop;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => host?.close(r));
    await t?.close();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail')
      await screenshot(page, `failed-widget-${ctx.task.name.slice(0, 40)}`);
  });

  const admin = async <T>(path: string) =>
    (
      await t.app.inject({
        method: 'GET',
        url: `/v1/admin/workspaces/${workspaceId}${path}`,
        headers: operatorHeaders,
      })
    ).json<T>();
  const conversationId = () =>
    page.evaluate(() => {
      const k = Object.keys(localStorage).find((x) => x.startsWith('papo-widget:'));
      return k ? (JSON.parse(localStorage.getItem(k)!) as { conversationId: string }).conversationId : null;
    });
  const assistantTexts = () => page.locator('papo-chat .msg.assistant').allTextContents();
  const input = () => page.getByRole('textbox', { name: 'Sua mensagem' });

  it('loads from another origin, unbroken by the page CSS, and shows the greeting', async () => {
    await page.goto(`${site}/`);
    const bubble = page.getByRole('button', { name: 'Abrir chat' });
    await bubble.waitFor();
    const box = (await bubble.boundingBox())!;
    expect(Math.round(box.width)).toBe(58);
    await bubble.click();
    await page.getByRole('dialog', { name: 'Loja Exemplo' }).waitFor();
    await page.getByText('Olá! Como posso ajudar?').waitFor();
    // the page's `* { font-family … !important }` did not reach inside
    const font = await input().evaluate((el) => getComputedStyle(el).fontFamily);
    expect(font).not.toContain('Comic');
    // screen readers read it in the widget's language
    expect(await page.locator('papo-chat .wrap').getAttribute('lang')).toBe('pt-BR');
    await expectAccessible(page, 'widget open');
    await screenshot(page, '20-widget-open', false);
  });

  it("shows the agent's greeting from the server, changed without touching the snippet", async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/admin/workspaces/${workspaceId}/agents/${shopId}`,
      headers: operatorHeaders,
      payload: { greeting: 'Oi! Quer **ajuda** com um pedido?' },
    });
    expect(patched.statusCode).toBe(200);
    // nothing stored yet (no conversation was started by opening the chat): a plain reload
    expect(await conversationId()).toBeNull();
    await page.reload();
    await page.getByRole('button', { name: 'Abrir chat' }).click();
    await expect.poll(() => assistantTexts()).toEqual(['Assistente: Oi! Quer ajuda com um pedido?']);
    expect(await page.locator('papo-chat .msg.assistant strong').textContent()).toBe('ajuda');
    expect(await page.locator('papo-chat .msg').count()).toBe(1);
    await expectAccessible(page, 'widget greeting');
    await screenshot(page, '25-widget-greeting', false);
  });

  it('says when the agent is not available and disables the composer', async () => {
    const p = await context.newPage();
    try {
      await p.goto(`${site}/closed`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      // no data-title: the header shows the agent's name
      await p.getByRole('dialog', { name: 'Fechado' }).waitFor();
      await p.getByText('Este assistente não está disponível no momento.').waitFor();
      expect(await p.getByRole('textbox', { name: 'Sua mensagem' }).isDisabled()).toBe(true);
      expect(await p.getByRole('button', { name: 'Enviar' }).isDisabled()).toBe(true);
      expect(await p.locator('papo-chat .msg').count()).toBe(0); // the notice, not the greeting
      await expectAccessible(p, 'widget unavailable');
      await screenshot(p, '26-widget-unavailable', false);
    } finally {
      await p.close();
    }
  });

  it('still chats when the agent profile cannot be read', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    try {
      let refused = 0;
      await p.route(
        (url) => url.pathname.endsWith(`/v1/public/agents/${shopId}/profile`),
        (route) => {
          refused++;
          return route.abort('connectionrefused');
        },
      );
      await p.goto(`${site}/`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      await p.getByRole('dialog', { name: 'Loja Exemplo' }).waitFor();
      await expect.poll(() => refused).toBe(1);
      expect(await p.locator('papo-chat .msg').count()).toBe(0); // no greeting, nothing broken
      await p.getByRole('textbox', { name: 'Sua mensagem' }).fill('Olá');
      await p.getByRole('textbox', { name: 'Sua mensagem' }).press('Enter');
      await expect
        .poll(
          () =>
            p
              .locator('papo-chat .msg.assistant')
              .allTextContents()
              .then((a) => a.join(' ')),
          { timeout: 15_000 },
        )
        .toContain('real answers.');
    } finally {
      await ctx.close();
    }
  });

  it('streams a reply and survives a reload in the middle of it', async () => {
    await input().fill('Quero rastrear meu pedido');
    await input().press('Enter');
    // the first words are on screen, the reply is still streaming: reload now
    await expect
      .poll(() => assistantTexts().then((a) => a.join(' ')), { timeout: 10_000, interval: 50 })
      .toContain('You said');
    expect((await assistantTexts()).join(' ')).not.toContain('real answers.');
    await page.reload();

    // conversation, token and open panel restored; the stream resumed to its end, once
    await expect
      .poll(() => assistantTexts().then((a) => a.join(' ')), { timeout: 15_000 })
      .toContain('configure a real provider to get real answers.');
    const replies = (await assistantTexts()).filter((x) => x.includes('You said'));
    expect(replies).toHaveLength(1);
    expect(await page.locator('papo-chat .msg.user').allTextContents()).toEqual([
      'Você: Quero rastrear meu pedido',
    ]);
    const id = await conversationId();
    const detail = await admin<{ messages: Array<{ role: string }>; channel: string }>(
      `/conversations/${id}`,
    );
    expect(detail.channel).toBe('web_chat');
    expect(detail.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    await screenshot(page, '21-widget-restored', false);
  });

  it('renders the reply Markdown as text and safe elements only', async () => {
    await input().fill(
      '**negrito** <img src=x onerror="window.__pwned=1"> [x](javascript:alert(1)) [site](https://example.com/a)',
    );
    await input().press('Enter');
    await expect
      .poll(() => assistantTexts().then((a) => a.at(-1) ?? ''), { timeout: 15_000 })
      .toMatch(/This is turn 2 .*real answers\.$/);
    const last = page.locator('papo-chat .msg.assistant').last();
    expect(await last.locator('strong').first().textContent()).toBe('negrito');
    expect(await page.locator('papo-chat img').count()).toBe(0);
    expect(await last.textContent()).toContain('<img src=x onerror="window.__pwned=1">');
    const hrefs = await last
      .locator('a')
      .evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel')]));
    expect(hrefs).toEqual([['https://example.com/a', 'noopener noreferrer nofollow']]);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('refreshes an expired session token with the public key', async () => {
    const before = await page.evaluate(() =>
      localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('papo-widget:'))!),
    );
    t.clock.advance(2 * 3600 * 1000); // the server now sees the token as expired
    await input().fill('Ainda está aí?');
    await input().press('Enter');
    await expect
      .poll(() => assistantTexts().then((a) => a.at(-1) ?? ''), { timeout: 15_000 })
      .toMatch(/This is turn 3 .*real answers\.$/);
    const after = await page.evaluate(() =>
      localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('papo-widget:'))!),
    );
    expect(JSON.parse(after!).token).not.toBe(JSON.parse(before!).token);
  });

  it('uploads a file, sends it and downloads it again', async () => {
    await page
      .locator('papo-chat input[type=file]')
      .setInputFiles({ name: 'recibo.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Remover anexo: recibo.png' }).waitFor();
    await input().fill('Segue o comprovante');
    await page.getByRole('button', { name: 'Enviar' }).click();
    await expect
      .poll(() => assistantTexts().then((a) => a.at(-1) ?? ''), { timeout: 15_000 })
      .toMatch(/I also received 1 attachment\. This is turn 4 .*real answers\.$/);
    const chip = page.getByRole('button', { name: 'Baixar recibo.png' });
    const [download] = await Promise.all([page.waitForEvent('download'), chip.click()]);
    expect(download.suggestedFilename()).toBe('recibo.png');
    const files = await admin<{ files: Array<{ name: string; mime_type: string }> }>(
      `/conversations/${await conversationId()}`,
    );
    expect(files.files).toMatchObject([{ name: 'recibo.png', mime_type: 'image/png' }]);
  });

  it('ends the conversation and asks for an NPS rating', async () => {
    await page.getByRole('button', { name: 'Encerrar conversa' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('group', { name: /Qual a probabilidade/ }).waitFor();
    // the button that ended it is gone: focus went to what replaced it, not to the page
    expect(
      await page.evaluate(() => document.querySelector('papo-chat')!.shadowRoot!.activeElement?.id),
    ).toBe('ended');
    await expectAccessible(page, 'widget NPS');
    await page.getByRole('radio', { name: '9' }).check();
    await page.getByRole('textbox', { name: 'Comentário (opcional)' }).fill('Muito bom');
    await screenshot(page, '22-widget-nps', false);
    await page.getByRole('button', { name: 'Enviar avaliação' }).click();
    await page.getByText('Obrigado pela sua avaliação!').first().waitFor();
    const id = await conversationId();
    const detail = await admin<{ status: string; feedback: { score: number; comment: string } }>(
      `/conversations/${id}`,
    );
    expect(detail.status).toBe('closed');
    expect(detail.feedback).toMatchObject({ score: 9, comment: 'Muito bom' });

    // after a reload the ended state stays; a new conversation can start
    await page.reload();
    await page.getByText('Obrigado pela sua avaliação!').first().waitFor();
    await page.getByRole('button', { name: 'Começar uma nova conversa' }).click();
    await input().waitFor();
    await expect.poll(() => page.locator('papo-chat .msg').count()).toBe(1); // the greeting
  });

  it('follows the page language and nudges after the idle times, then closes (English page)', async () => {
    const en = await context.newPage();
    await en.goto(`${site}/en`);
    await en.getByRole('button', { name: 'Open chat' }).click();
    // greeting and title (the agent's name) come from the server
    await en.getByText('Hi there!').waitFor();
    await en.getByRole('dialog', { name: 'Idle' }).waitFor();
    await en.getByRole('textbox', { name: 'Your message' }).fill('Hello');
    await en.getByRole('textbox', { name: 'Your message' }).press('Enter');
    const texts = () => en.locator('papo-chat .msg.assistant').allTextContents();
    await expect.poll(() => texts().then((a) => a.join(' ')), { timeout: 15_000 }).toContain('real answers.');
    await expect
      .poll(() => texts().then((a) => a.join(' ')), { timeout: 10_000 })
      .toContain('Are you still there?');
    await expect
      .poll(() => texts().then((a) => a.join(' ')), { timeout: 10_000 })
      .toContain('Closing this chat. Bye!');
    await en.getByRole('group', { name: /How likely are you to recommend us/ }).waitFor();
    await screenshot(en, '23-widget-idle-en', false);
    const list = await admin<{
      items: Array<{ status: string; close_reason: string | null; title: string }>;
    }>('/conversations?search=Hello');
    expect(list.items[0]).toMatchObject({ status: 'closed', close_reason: 'inactivity' });
    await en.close();
  });

  it('fills a phone screen and works with the keyboard alone', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    try {
      await p.goto(`${site}/`);
      const bubble = p.getByRole('button', { name: 'Abrir chat' });
      await bubble.focus();
      await p.keyboard.press('Enter');
      const panel = p.getByRole('dialog', { name: 'Loja Exemplo' });
      await panel.waitFor();
      expect(await panel.boundingBox()).toEqual({ x: 0, y: 0, width: 390, height: 844 });
      // focus moved into the composer; typing and Enter send
      expect(await p.evaluate(() => document.querySelector('papo-chat')!.shadowRoot!.activeElement?.id)).toBe(
        'input',
      );
      await p.keyboard.type('Oi');
      await p.keyboard.press('Enter');
      await expect
        .poll(
          () =>
            p
              .locator('papo-chat .msg.assistant')
              .allTextContents()
              .then((a) => a.join(' ')),
          { timeout: 15_000 },
        )
        .toContain('real answers.');
      await expectAccessible(p, 'widget on a phone');
      await screenshot(p, '24-widget-phone', false);
      // the panel covers the page: Tab and Shift+Tab stay inside it (a modal dialog)
      expect(await panel.getAttribute('aria-modal')).toBe('true');
      const inWidget = () => p.evaluate(() => document.activeElement?.tagName === 'PAPO-CHAT');
      for (let i = 0; i < 8; i++) {
        await p.keyboard.press('Tab');
        expect(await inWidget()).toBe(true);
      }
      for (let i = 0; i < 8; i++) {
        await p.keyboard.press('Shift+Tab');
        expect(await inWidget()).toBe(true);
      }
      // Escape closes and gives focus back to the bubble
      await p.keyboard.press('Escape');
      await panel.waitFor({ state: 'hidden' });
      expect(
        await p.evaluate(() => document.querySelector('papo-chat')!.shadowRoot!.activeElement?.className),
      ).toBe('bubble');
    } finally {
      await phone.close();
    }
  });
  const textsIn = (p: Page, sel = '.msg.assistant') =>
    p
      .locator(`papo-chat ${sel}`)
      .allTextContents()
      .then((a) => a.join(' | '));
  const conversationsOf = (agentId: string) =>
    admin<{ items: Array<{ id: string; status: string; close_reason: string | null }> }>(
      `/conversations?agent_id=${agentId}`,
    ).then((l) => l.items);
  type Detail = {
    status: string;
    close_reason: string | null;
    context: Record<string, unknown>;
    messages: Array<{ role: string; content: Array<{ type: string; text?: string; file_id?: string }> }>;
  };

  it('shares one conversation between two tabs: replies show in both, activity in either keeps it open', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const a = await ctx.newPage();
      const b = await ctx.newPage();
      await a.goto(`${site}/duo?order=123&email=ana@example.com#token=abc`);
      await a.getByRole('button', { name: 'Open chat' }).click();
      await a.getByRole('textbox', { name: 'Your message' }).fill('Hello from tab A');
      await a.getByRole('textbox', { name: 'Your message' }).press('Enter');
      await expect.poll(() => textsIn(a), { timeout: 15_000 }).toContain('real answers.');
      const [conv] = await conversationsOf(duoId);
      // only the page's path reaches the model and the database, never its query or fragment
      const detail = await admin<Detail>(`/conversations/${conv!.id}`);
      expect(detail.context['page_url']).toBe(`${site}/duo`);

      // tab B opens the same conversation, then follows a reply that tab A asks for, live
      await b.goto(`${site}/duo`); // restored open, like tab A left it
      await expect.poll(() => textsIn(b, '.msg.user')).toContain('Hello from tab A');
      await a.getByRole('textbox', { name: 'Your message' }).fill('Second question');
      await a.getByRole('textbox', { name: 'Your message' }).press('Enter');
      await expect.poll(() => textsIn(b, '.msg.user'), { timeout: 15_000 }).toContain('Second question');
      await expect.poll(() => textsIn(b), { timeout: 15_000 }).toContain('This is turn 2');

      // the visitor keeps typing in tab A for longer than the idle steps: tab B must not nudge
      const typing = a.getByRole('textbox', { name: 'Your message' });
      for (let i = 0; i < 14; i++) {
        await typing.press('x');
        await a.waitForTimeout(500);
      }
      expect((await admin<Detail>(`/conversations/${conv!.id}`)).status).toBe('active');
      expect(await textsIn(b)).not.toContain('Still with us?');

      // silence: one warning (in both tabs), then the final message closes it everywhere
      await expect.poll(() => textsIn(b), { timeout: 10_000 }).toContain('Still with us?');
      await expect.poll(() => textsIn(a), { timeout: 10_000 }).toContain('Still with us?');
      await a.getByRole('group', { name: /How likely/ }).waitFor({ timeout: 10_000 });
      await b.getByRole('group', { name: /How likely/ }).waitFor({ timeout: 10_000 });
      const done = await admin<Detail>(`/conversations/${conv!.id}`);
      expect(done).toMatchObject({ status: 'closed', close_reason: 'inactivity' });
      const said = done.messages.filter((m) => m.role === 'assistant').map((m) => m.content[0]?.text);
      expect(said.filter((x) => x === 'Still with us?')).toHaveLength(1);
      expect(said.filter((x) => x === 'Closing now.')).toHaveLength(1);
      expect(await conversationsOf(duoId)).toHaveLength(1);
    } finally {
      await ctx.close();
    }
  });

  it('sends a file chosen just before the message with it, in one conversation', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      // a slow start of the conversation, so the send begins while the upload still waits for it
      await p.route(
        (url) => url.pathname === '/v1/public/agents/conversations',
        async (route) => {
          await new Promise((r) => setTimeout(r, 600));
          await route.continue();
        },
      );
      await p.goto(`${site}/pausa`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      await p
        .locator('papo-chat input[type=file]')
        .setInputFiles({ name: 'nota.png', mimeType: 'image/png', buffer: PNG });
      await p.getByRole('textbox', { name: 'Sua mensagem' }).fill('Segue a nota');
      await p.getByRole('textbox', { name: 'Sua mensagem' }).press('Enter');
      await expect.poll(() => textsIn(p), { timeout: 15_000 }).toContain('I also received 1 attachment');
      const convs = await conversationsOf(pausaId);
      expect(convs).toHaveLength(1);
      const detail = await admin<Detail>(`/conversations/${convs[0]!.id}`);
      expect(detail.messages[0]).toMatchObject({
        role: 'user',
        content: [{ type: 'text', text: 'Segue a nota' }, { type: 'image' }],
      });
    } finally {
      await ctx.close();
    }
  });

  it('puts a message the server refuses back into the composer', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    try {
      await p.goto(`${site}/pausa`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      const box = p.getByRole('textbox', { name: 'Sua mensagem' });
      await box.fill('Primeira');
      await box.press('Enter');
      await expect.poll(() => textsIn(p), { timeout: 15_000 }).toContain('real answers.');
      await setAgentStatus(t, workspaceId, pausaId, 'inactive');
      await box.fill('Segunda, que não pode se perder');
      await box.press('Enter');
      await p.getByText('Algo deu errado. Tente novamente.').waitFor();
      expect(await box.inputValue()).toBe('Segunda, que não pode se perder');
      expect(await textsIn(p, '.msg.user')).not.toContain('Segunda');
      // once the agent is back, the same text goes through
      await setAgentStatus(t, workspaceId, pausaId, 'active');
      await box.press('Enter');
      await expect.poll(() => textsIn(p, '.msg.user'), { timeout: 15_000 }).toContain('Segunda');
      expect(await box.inputValue()).toBe('');
    } finally {
      await setAgentStatus(t, workspaceId, pausaId, 'active');
      await ctx.close();
    }
  });

  it('keeps a reply that failed mid-stream on screen, marked as failed', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      // the model fails after its first words: the server's stream for that case
      const frames = [
        ['stream.started', { stream_id: 'stream-x', conversation_id: 'c' }],
        [
          'message.created',
          {
            message: {
              id: 'u-1',
              role: 'user',
              content: [{ type: 'text', text: 'Pergunta' }],
              status: 'completed',
              created_at: new Date().toISOString(),
            },
          },
        ],
        ['agent_message.delta', { message_id: 'a-1', delta: 'Resposta pela ' }],
        ['agent_message.delta', { message_id: 'a-1', delta: 'metade' }],
        ['error', { error: { code: 'model_error', message: 'provider failed' }, message_id: 'a-1' }],
        ['done', {}],
      ] as const;
      await p.route(
        (url) => url.pathname.endsWith('/messages/stream'),
        (route) =>
          route.fulfill({
            status: 200,
            headers: { 'content-type': 'text/event-stream', 'access-control-allow-origin': '*' },
            body: frames
              .map(([event, data], i) => `id: ${i + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
              .join(''),
          }),
      );
      await p.goto(`${site}/pausa`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      await p.getByRole('textbox', { name: 'Sua mensagem' }).fill('Pergunta');
      await p.getByRole('textbox', { name: 'Sua mensagem' }).press('Enter');
      const failed = p.locator('papo-chat .msg.assistant.failed');
      await failed.waitFor();
      expect(await failed.textContent()).toContain('Resposta pela metade');
      expect(await failed.getAttribute('aria-busy')).toBeNull();
      // the notice stays after the stream's `done` (handled before the reply was marked)
      expect(await p.locator('papo-chat .status').textContent()).toBe('A resposta falhou. Tente novamente.');
      expect(await p.getByRole('button', { name: 'Enviar' }).isDisabled()).toBe(false);
    } finally {
      await ctx.close();
    }
  });

  it('resumes and nudges when the page blocks localStorage', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await ctx.addInitScript(() => {
        Object.defineProperty(window, 'localStorage', {
          get() {
            throw new DOMException('blocked', 'SecurityError');
          },
        });
      });
      const p = await ctx.newPage();
      // the reply's connection drops once after the first words: resumed from memory
      let cut = false;
      await p.route(
        (url) => url.pathname.endsWith('/messages/stream'),
        async (route) => {
          const res = await route.fetch();
          const body = await res.text();
          if (cut) return route.fulfill({ response: res, body });
          cut = true;
          // the first four events only (stream.started, message.created and two deltas)
          const head = body.split('\n\n').slice(0, 4).join('\n\n') + '\n\n';
          return route.fulfill({ response: res, body: head });
        },
      );
      await p.goto(`${site}/en`);
      await p.getByRole('button', { name: 'Open chat' }).click();
      await p.getByRole('textbox', { name: 'Your message' }).fill('Hello without storage');
      await p.getByRole('textbox', { name: 'Your message' }).press('Enter');
      await expect.poll(() => textsIn(p), { timeout: 20_000 }).toContain('real answers.');
      expect((await textsIn(p)).match(/You said/g)).toHaveLength(1);
      await expect.poll(() => textsIn(p), { timeout: 10_000 }).toContain('Are you still there?');
      await expect.poll(() => textsIn(p), { timeout: 10_000 }).toContain('Closing this chat. Bye!');
    } finally {
      await ctx.close();
    }
  });

  it('sends the final inactivity message when the warning step is turned off', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${site}/final-only`);
      await p.getByRole('button', { name: 'Open chat' }).click();
      await p.getByRole('textbox', { name: 'Your message' }).fill('Only the final step');
      await p.getByRole('textbox', { name: 'Your message' }).press('Enter');
      await expect.poll(() => textsIn(p), { timeout: 15_000 }).toContain('real answers.');
      await expect.poll(() => textsIn(p), { timeout: 10_000 }).toContain('Closing this chat. Bye!');
      expect(await textsIn(p)).not.toContain('Are you still there?');
      await p.getByRole('group', { name: /How likely/ }).waitFor();
    } finally {
      await ctx.close();
    }
  });

  it('says at once when its key is refused (another site), before anything is typed', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${site}/wrong-origin`);
      await p.getByRole('button', { name: 'Abrir chat' }).click();
      await p.getByText('Este assistente não está disponível no momento.').waitFor();
      expect(await p.getByRole('textbox', { name: 'Sua mensagem' }).isDisabled()).toBe(true);
    } finally {
      await ctx.close();
    }
  });
});
