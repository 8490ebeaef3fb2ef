// The monitor page in headless Chromium under the exact CSP the panel sets: the toolkit must
// render (it styles through adoptedStyleSheets), nothing may trip the CSP, and the page must
// follow the protocol. Needs `node esbuild.mjs` first and /usr/bin/chromium (test/e2e/setup.sh installs it).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { monitorHtml } from '../../src/views/monitor/html';
import { monitorStrings } from '../../src/views/monitor/strings';
import type { HostMessage, LogRow, MonitorSnapshot } from '../../src/views/monitor/protocol';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../../', import.meta.url).pathname;

/** Stands in for VS Code: theme variables and `acquireVsCodeApi`, loaded as files (nonce'd) like the real thing. */
const THEME_CSS = `:root { --vscode-foreground: #cccccc; --vscode-editor-background: #1e1e1e; --vscode-font-family: sans-serif; --vscode-font-size: 13px;
  --vscode-button-background: #0e639c; --vscode-button-foreground: #ffffff; --vscode-charts-blue: #3794ff; --vscode-charts-red: #f14c4c; }`;
const FAKE_API = `window.__sent = []; window.__state = undefined;
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__sent.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });`;

function serve(nonce: string): Promise<Server> {
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    const files: Record<string, [string, string]> = {
      '/dist/webview.js': ['text/javascript', readFileSync(`${root}dist/webview.js`, 'utf8')],
      '/dist/webview.css': ['text/css', readFileSync(`${root}dist/webview.css`, 'utf8')],
      '/theme.css': ['text/css', THEME_CSS],
      '/api.js': ['text/javascript', FAKE_API],
    };
    if (req.url === '/') {
      const html = monitorHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, lang: 'en' })
        .replace('<link', `<link rel="stylesheet" href="${origin}/theme.css">\n<script nonce="${nonce}" src="${origin}/api.js"></script>\n<link`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    const file = files[req.url ?? ''];
    if (file) res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    else res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const post = (page: Page, message: HostMessage) => page.evaluate((m) => window.postMessage(m, '*'), message);

const snapshot: MonitorSnapshot = {
  now: Date.now(),
  service: { status: 'running', url: 'http://127.0.0.1:8080' },
  stats: {
    requests: 42, errors: 2, successRate: 40 / 42, avgMs: 850, p95Ms: 2100, avgTtfbMs: 300, inputTokens: 12000, outputTokens: 3400, cacheReadTokens: 0, cacheHits: 0, credits: 1.5, webSearches: 3,
    lastHour: Array.from({ length: 60 }, (_, i) => ({ minute: 29_000_000 + i, requests: i % 7, errors: i % 13 === 0 ? 1 : 0, avgMs: 500 + i * 10 })),
  },
  accounts: [
    { id: 'a1', label: 'alice@example.com', state: 'active', quota: { plan: 'KIRO PRO', used: 450, limit: 1000, resetAt: Date.now() + 86_400_000 }, region: 'eu-central-1', profile: 'EHGA3GRVQMUK', requests: 30, errors: 1, credits: 1 },
    { id: 'a2', label: '<img src=x onerror=alert(1)>', state: 'cooldown', until: Date.now() + 95_000, reason: 'throttled', region: 'us-east-1', requests: 12, errors: 1, credits: 0.5 },
  ],
};

const row = (id: number, status = 200): LogRow => ({
  id, time: Date.now(), endpoint: '/v1/messages', clientModel: 'claude-sonnet-4-5', kiroModel: 'claude-sonnet-4.5', account: 'alice@example.com',
  status, stream: true, durationMs: 900, inputTokens: 100, outputTokens: 20, ...(status >= 400 ? { error: 'boom <b>x</b>' } : {}),
});

test('monitor page renders under the strict CSP and speaks the protocol', async () => {
  // A missing browser or bundle is a failure, never a silent skip.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run bash test/e2e/setup.sh`);
  assert.ok(existsSync(`${root}dist/webview.js`), 'dist/webview.js is missing: run npm run build');
  const nonce = 'dGVzdG5vbmNlMTIzNDU2';
  const server = await serve(nonce);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    const violations: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('__violation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __violation(v: string): void }).__violation(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
    });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (window as unknown as { __sent: unknown[] }).__sent.length > 0);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __sent: unknown[] }).__sent), [{ type: 'ready' }]);

    await post(page, { type: 'init', ...monitorStrings('en'), tab: 'monitor' });
    await post(page, { type: 'snapshot', snapshot });
    await post(page, { type: 'logReset', rows: [row(2, 500), row(1)] });
    await page.waitForSelector('#total-requests');
    assert.equal(await page.textContent('#total-requests'), '42');
    assert.equal(await page.textContent('#service-state'), 'Running');
    assert.equal(await page.textContent('#total-web-searches'), '3');

    // The toolkit's elements are upgraded and styled through adopted stylesheets.
    const toolkit = await page.evaluate(() => {
      const button = document.querySelector('#speed-test') as HTMLElement;
      return {
        upgraded: !!button.shadowRoot,
        adopted: button.shadowRoot?.adoptedStyleSheets.length ?? 0,
        styleTags: document.querySelectorAll('style').length,
        background: getComputedStyle(button).backgroundColor,
      };
    });
    assert.ok(toolkit.upgraded && toolkit.adopted > 0, JSON.stringify(toolkit));
    assert.equal(toolkit.background, 'rgb(14, 99, 156)', 'button takes the theme colour');
    assert.equal(toolkit.styleTags, 0);

    // Untrusted text stays text.
    assert.equal(await page.locator('img').count(), 0);
    assert.ok((await page.textContent('#accounts'))?.includes('<img src=x onerror=alert(1)>'));
    // Where each account's calls go: its region, and its organisation profile when it has one.
    assert.deepEqual(await page.locator('.account-region').allTextContents(), ['Region eu-central-1 · profile EHGA3GRVQMUK', 'Region us-east-1']);
    assert.match((await page.textContent('.countdown')) ?? '', /1:3\d/);
    const testing = [{ accountId: 'a1', label: 'alice@example.com' }, { accountId: 'a2', label: 'bob@example.com' }];
    await post(page, { type: 'speedTest', test: { state: 'running', accounts: testing, results: [] } });
    await page.waitForSelector('#speed-results vscode-progress-ring');
    assert.equal(await page.getAttribute('#speed-test', 'disabled'), '');
    // Each account shows its result as soon as it has one; the others keep spinning.
    await post(page, { type: 'speedTest', test: { state: 'running', accounts: testing, results: [{ accountId: 'a2', label: 'bob@example.com', ok: true, ms: 210 }] } });
    await page.waitForFunction(() => document.querySelector('#speed-results')?.textContent?.includes('210 ms'));
    assert.deepEqual(
      await page.$$eval('#speed-results li', (rows) => rows.map((li) => [li.querySelector('.speed-label')?.textContent, !!li.querySelector('vscode-progress-ring')])),
      [['alice@example.com', true], ['bob@example.com', false]],
    );
    await post(page, { type: 'speedTest', test: { state: 'done', results: [{ accountId: 'a1', label: 'alice@example.com', ok: true, ms: 640 }] } });
    await page.waitForFunction(() => document.querySelector('#speed-results')?.textContent?.includes('640 ms'));

    // Logs tab: rows, live append, detail request, repro export and the saved state.
    await page.click('#tab-logs');
    await page.waitForSelector('#log-rows tr[data-id="2"]', { state: 'visible' });
    await post(page, { type: 'logAppend', rows: [{ ...row(3), webSearches: 1 }] });
    await page.waitForSelector('#log-rows tr[data-id="3"]');
    assert.match((await page.textContent('#log-rows tr[data-id="3"]')) ?? '', /· web search/);
    assert.deepEqual(await page.$$eval('#log-rows tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id)), ['3', '2', '1']);
    await page.click('#log-rows tr[data-id="2"]');
    await post(page, { type: 'logDetail', id: 2, detail: { row: row(2, 500), kiroRequest: '{"conversationState":{}}' } });
    await page.click('#export-repro');
    const sent = await page.evaluate(() => (window as unknown as { __sent: unknown[]; __state: unknown }).__sent);
    assert.deepEqual(sent.slice(1), [{ type: 'selectEntry', id: 2 }, { type: 'exportRepro', id: 2 }]);
    assert.equal((await page.evaluate(() => (window as unknown as { __state: { tab: string } }).__state)).tab, 'logs');
    assert.equal(await page.locator('b').count(), 0);

    // An account filter survives new rows that add options to the dropdown.
    await page.click('#filter-account');
    await page.click('#filter-account vscode-option[value="alice@example.com"]');
    await post(page, { type: 'logAppend', rows: [{ ...row(4), account: 'bob@example.com' }] });
    await page.waitForSelector('#filter-account vscode-option[value="bob@example.com"]', { state: 'attached' });
    // The dropdown re-renders its options on the next frames; the value must survive that.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    assert.equal(await page.evaluate(() => (document.querySelector('#filter-account') as HTMLElement & { value: string }).value), 'alice@example.com');
    assert.deepEqual(await page.$$eval('#log-rows tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id)), ['3', '2', '1']);
    assert.equal((await page.evaluate(() => (window as unknown as { __state: { account: string } }).__state)).account, 'alice@example.com');

    // The log keeps the account's id; the page names it as the account is called now.
    await post(page, { type: 'logAppend', rows: [{ ...row(5), accountId: 'a1', account: 'Google 9833ef' }] });
    await page.waitForSelector('#log-rows tr[data-id="5"]');
    assert.equal(await page.textContent('#log-rows tr[data-id="5"] td:nth-child(4)'), 'alice@example.com');
    await post(page, { type: 'snapshot', snapshot: { ...snapshot, accounts: [{ ...snapshot.accounts[0], label: 'alice@work.example' }, snapshot.accounts[1]] } });
    await page.waitForSelector('#filter-account vscode-option[value="alice@work.example"]', { state: 'attached' });
    // Renamed, row 5 no longer matches the filter on the old name; rows without an id keep theirs.
    assert.deepEqual(await page.$$eval('#log-rows tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id)), ['3', '2', '1']);
    assert.equal(await page.$$eval('#filter-account vscode-option[value="Google 9833ef"]', (o) => o.length), 0);

    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    server.close();
  }
});
