#!/usr/bin/env node
// Browser tests of the meja web pages: Playwright (playwright-core, no browser download) driving
// Debian's Chromium against a `meja serve --demo` started here on a fresh SQLite database.
//
//   node tests/browser/run.mjs
//
// Environment:
//   MEJA_BIN          the meja binary to run; when set, nothing is built. Unset: `cargo build --bin meja`
//                     once, then $CARGO_TARGET_DIR/debug/meja (target/debug/meja without CARGO_TARGET_DIR).
//   MEJA_CHROMIUM     the browser (default /usr/bin/chromium).
//   MEJA_BROWSER_KEEP keep the temporary directory (database, server log) even when everything passed.
//
// Scenarios, in the default language (Bahasa Indonesia): a citizen reports and tracks a ticket;
// a tier-1 agent replies and escalates; a tier-2 agent resolves; the citizen rates it; a tier-1
// agent of another unit is refused with 404; the supervisor finds the ticket in the queue and its
// unit on the dashboard; the skip link is the first Tab stop on the portal and visibly focused;
// a person signs in through the single sign-on provider's own login page (oidc-provider from
// tests/sso, started here); a person enrols a second factor with a code this test computes.
// Screenshots of every main page at desktop and phone width go to target/screenshots/.
// Exits non-zero when any step failed.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { staffFileReachesMailbox } from './mail.mjs';
import { bulkResolveWithOneRefusal, cannedReplyPicker, liveQueue } from './workbench.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
// axe-core (npm, pinned): the accessibility rules run in the page at both widths.
const AXE_SOURCE = fs.readFileSync(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
/** Violations of impact serious or critical, per page and width (WCAG 2.1 A and AA rules). */
const accessibility = [];
const SHOTS = path.join(ROOT, 'target', 'screenshots');
const CHROMIUM = process.env.MEJA_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DEMO_PASSWORD = 'Meja-Demo-2026';
const ADMIN_PASSWORD = 'Admin-Uji-Peramban-2026';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };
// A debug build on a busy two-core machine: be patient with the server, not with mistakes.
const ACTION_TIMEOUT = 15_000;
const NAVIGATION_TIMEOUT = 45_000;

// A 16×16 PNG (a blue square), valid enough for any type sniffer.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mOQj59JEmIY1TCqYfhqAADaBhcQzYYLrgAAAABJRU5ErkJggg==',
  'base64',
);

const log = (...args) => console.log(...args);
const note = (text) => console.log(`   · ${text}`);
const warnings = [];
const warn = (text) => {
  warnings.push(text);
  console.log(`   ! ${text}`);
};

// ---------------------------------------------------------------------------------------------
// The server

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function mejaBinary() {
  if (process.env.MEJA_BIN) {
    const bin = path.resolve(process.env.MEJA_BIN);
    if (!fs.existsSync(bin)) throw new Error(`MEJA_BIN=${bin} does not exist`);
    return bin;
  }
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
  log('==> cargo build --bin meja');
  const built = spawnSync('cargo', ['build', '--bin', 'meja'], { cwd: ROOT, stdio: 'inherit' });
  if (built.error) throw new Error(`cannot run cargo: ${built.error.message}`);
  if (built.status !== 0) throw new Error(`cargo build failed (exit ${built.status})`);
  const bin = path.join(targetDir, 'debug', 'meja');
  if (!fs.existsSync(bin)) throw new Error(`cargo built, but ${bin} is missing`);
  return bin;
}

class Server {
  constructor(bin, dir, port, oidcIssuer) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.oidcIssuer = oidcIssuer;
    this.base = `http://127.0.0.1:${port}`;
    this.logPath = path.join(dir, 'server.log');
    this.exited = null;
  }

  start() {
    // Only our settings: no meja.toml, mail server or bot of the developer's shell.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEJA_')));
    Object.assign(env, {
      MEJA_DATABASE_URL: `sqlite://${path.join(this.dir, 'meja.db')}`,
      MEJA_BIND: `127.0.0.1:${this.port}`,
      MEJA_PUBLIC_URL: this.base,
      MEJA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The walk-through signs in with passwords; the two-factor test turns it on for its user.
      MEJA_2FA_REQUIRED_ROLES: 'none',
      MEJA_OIDC_ISSUER: this.oidcIssuer,
      MEJA_OIDC_CLIENT_ID: 'meja',
      MEJA_OIDC_CLIENT_SECRET: 'meja-sso-rahasia-2026',
      NO_COLOR: '1',
      RUST_LOG: process.env.RUST_LOG || 'info',
    });
    // With the test mail servers (scripts/test starts them) the desk mails through Postfix, so
    // a reply's file can be read back from Dovecot.
    if (process.env.MEJA_TEST_SMTP_URL) {
      Object.assign(env, { MEJA_SMTP_URL: process.env.MEJA_TEST_SMTP_URL, MEJA_MAIL_FROM: 'Service Desk <layanan@kota.test>' });
    }
    const out = fs.openSync(this.logPath, 'a');
    // cwd: the temporary directory, so a meja.toml in the repository is not read.
    this.child = spawn(this.bin, ['serve', '--demo'], { cwd: this.dir, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
    });
  }

  async waitHealthy(seconds = 120) {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`meja exited early (${JSON.stringify(this.exited)}); log:\n${this.tail()}`);
      }
      try {
        const response = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`GET /healthz did not answer 200 within ${seconds} s; log:\n${this.tail()}`);
  }

  tail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop() {
    if (!this.child || this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

const results = [];

async function step(name, needs, body) {
  const missing = needs.filter((n) => results.find((r) => r.name === n)?.status !== 'ok');
  log(`\n--- ${name}`);
  if (missing.length) {
    note(`skipped: needs ${missing.join(', ')}`);
    results.push({ name, status: 'skipped', detail: `needs ${missing.join(', ')}` });
    return;
  }
  const started = Date.now();
  try {
    await body();
    results.push({ name, status: 'ok' });
    log(`   ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    const detail = e?.message?.split('\n').slice(0, 12).join('\n') ?? String(e);
    results.push({ name, status: 'FAILED', detail });
    log(`   FAILED: ${detail}`);
    if (current.page && !current.page.isClosed()) {
      const file = path.join(SHOTS, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
      try {
        log(`   page: ${current.page.url()}`);
        await current.page.screenshot({ path: file, fullPage: true, timeout: 10_000 });
        log(`   screenshot of the failing page: ${path.relative(ROOT, file)}`);
      } catch {
        // the page is gone
      }
    }
  }
}

// The page the running step works on, for the failure screenshot.
const current = { page: null };

// ---------------------------------------------------------------------------------------------
// Browser helpers

let browser;
let server;
/** The OpenID provider: { issuer, child }. */
let provider;

async function newPage(label, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  context.setDefaultTimeout(ACTION_TIMEOUT);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (e) => warn(`[${label}] script error on ${page.url()}: ${e.message}`));
  // Every failed subresource or background request (a page's own status is checked by the steps).
  const reported = new Set();
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.request().isNavigationRequest() && r.frame() === page.mainFrame())) {
      reported.add(r.url());
      warn(`[${label}] ${r.request().method()} ${r.url()} answered ${r.status()} (on ${page.url()})`);
    }
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url ?? '';
    if (m.text().startsWith('Failed to load resource')) {
      // The page itself (an expected 404) or a load already reported above; the browser's own
      // favicon request only shows here.
      if (where === page.url() || reported.has(where)) return;
      reported.add(where);
      warn(`[${label}] GET ${where} failed: ${m.text().replace('Failed to load resource: ', '')}`);
      return;
    }
    warn(`[${label}] console error on ${page.url()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (!why.includes('ERR_ABORTED')) warn(`[${label}] ${r.method()} ${r.url()} failed: ${why} (on ${page.url()})`);
  });
  current.page = page;
  return page;
}

function url(p) {
  return new URL(p, server.base).toString();
}

/** Opens a page and insists on the answer `status` (default: any 2xx). */
async function open(page, p, status) {
  const response = await page.goto(url(p), { waitUntil: 'load' });
  assert.ok(response, `no response for ${p}`);
  if (status !== undefined) {
    assert.equal(response.status(), status, `GET ${p}: expected ${status}, got ${response.status()}`);
  } else if (!response.ok()) {
    throw new Error(`GET ${p} answered ${response.status()}: ${await mainText(page)}`);
  }
  return response;
}

/** What the page says, without the header and menu: for failure messages. */
async function mainText(page) {
  const main = page.locator('main');
  const text = await ((await main.count()) ? main.first() : page.locator('body')).innerText().catch(() => '');
  return `"${text.replace(/\s+/g, ' ').trim().slice(0, 240)}"`;
}

/** Clicks something that submits a form and waits for the page it leads to (after redirects);
 *  an error page (4xx/5xx) fails with the text it shows. */
async function submitAndWait(page, clickable, what) {
  const response = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !(r.status() >= 300 && r.status() < 400),
    { timeout: NAVIGATION_TIMEOUT },
  );
  // A click that fails leaves this wait behind: it must not become an unhandled rejection.
  response.catch(() => {});
  await clickable.click();
  const r = await response;
  await page.waitForLoadState('load');
  if (r.status() >= 400) {
    throw new Error(`${what}: ${r.request().method()} ${r.url()} answered ${r.status()}: ${await mainText(page)}`);
  }
  return r;
}

async function signIn(label, username, password = DEMO_PASSWORD) {
  const page = await newPage(label);
  await open(page, '/masuk');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await submitAndWait(page, page.locator('form[action="/masuk"] button[type="submit"]'), `sign in as ${username}`);
  const path_ = new URL(page.url()).pathname;
  assert.ok(path_.startsWith('/konsol'), `sign-in as ${username} ended on ${page.url()}: ${await mainText(page)}`);
  return page;
}

async function closePage(page) {
  if (current.page === page) current.page = null;
  await page.context().close();
}

/** The action codes the ticket page offers right now. */
async function actionsOffered(page) {
  return page.locator('form[data-action]').evaluateAll((forms) => forms.map((f) => f.dataset.action));
}

/** Runs an action from the ticket page's action panel: opens its <details>, fills, submits. */
async function act(page, code, fill = async () => {}) {
  const form = page.locator(`form[data-action="${code}"]`);
  assert.equal(await form.count(), 1, `action "${code}" is not offered (offered: ${(await actionsOffered(page)).join(', ')})`);
  const details = page.locator(`details:has(form[data-action="${code}"])`);
  if ((await details.count()) && !(await details.evaluate((d) => d.open))) {
    await details.locator('summary').click();
  }
  await fill(form);
  await submitAndWait(page, form.locator('button[type="submit"]'), `action ${code}`);
}

async function statusOf(page) {
  return page.locator('p [data-status]').first().getAttribute('data-status');
}

async function timelineText(page) {
  return (await page.locator('ol.timeline').innerText().catch(() => '')).replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Screenshots

/**
 * Runs axe in the page (evaluated through the DevTools protocol, so the page's CSP, which
 * allows no injected script, still holds for the page's own code) and keeps every violation of
 * impact serious or critical.
 */
async function checkAccessibility(page, where) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  for (const v of violations) {
    accessibility.push(`${where}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.join(', ')}`);
  }
  note(`axe ${where}: ${violations.length} serious or critical`);
}

/** Full-page shots at desktop and phone width; a 404 (page not built yet) is skipped with a note. */
async function screenshot(page, name, p, notFoundPage = false) {
  for (const [suffix, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    await page.setViewportSize(viewport);
    const response = await page.goto(url(p), { waitUntil: 'load' });
    const status = response?.status() ?? 0;
    if (status === 404 && !notFoundPage) {
      note(`${name}: ${p} answers 404 (not built yet?); no screenshot`);
      return 'missing';
    }
    if (status >= 400 && !(notFoundPage && status === 404)) throw new Error(`${name}: GET ${p} answered ${status}: ${await mainText(page)}`);
    if (suffix === 'phone') {
      const overflow = await page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        wide: [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getClientRects().length)
          .filter((el) => !el.closest('.skip, .honey, .table-wrap'))
          .slice(0, 3)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}`),
      }));
      const scrollers = await page.evaluate(() =>
        [...document.querySelectorAll('.table-wrap')]
          .filter((w) => w.scrollWidth > w.clientWidth + 1)
          .map((w) => `${w.querySelector('caption')?.textContent.trim() || w.previousElementSibling?.textContent.trim() || 'a table'} (${w.scrollWidth} px in ${w.clientWidth} px)`),
      );
      for (const s of scrollers) warn(`${name}: at ${viewport.width} px a table scrolls sideways: ${s}`);
      if (overflow.width > viewport.width) {
        warn(`${name}: at ${viewport.width} px the page is ${overflow.width} px wide (scrolls sideways); widest: ${overflow.wide.join(', ')}`);
      }
    }
    await checkAccessibility(page, `${name} (${viewport.width} px)`);
    const file = path.join(SHOTS, `${name}-${suffix}.png`);
    await page.screenshot({ path: file, fullPage: true });
    note(`${path.relative(ROOT, file)}`);
  }
  await page.setViewportSize(DESKTOP);
  return 'ok';
}

// ---------------------------------------------------------------------------------------------
// The scenarios

const ticket = {};
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const TITLE = `Aplikasi SIMPUS tidak bisa dibuka (uji peramban ${stamp})`;
const DESCRIPTION =
  'Sejak pagi aplikasi SIMPUS di loket pendaftaran menampilkan halaman kosong setelah login. ' +
  'Sudah dicoba di dua komputer dengan hasil yang sama.';
const REPLY = `Terima kasih atas laporannya, Bapak Budi. Kami sedang memeriksa server SIMPUS (balasan ${stamp}).`;
const ESCALATION = 'Server aplikasi perlu diperiksa oleh tim infrastruktur Diskominfo.';
const RESOLUTION = `Layanan aplikasi di server SIMPUS sudah dijalankan ulang dan halaman login kembali normal (${stamp}).`;

/** The tier-1 username of a unit: t1.<code lowercase>, Diskominfo's is t1.kominfo. */
function tier1Of(unitCode) {
  return unitCode === 'DISKOMINFO' ? 't1.kominfo' : `t1.${unitCode.toLowerCase()}`;
}

async function citizenReports() {
  const page = await newPage('warga');
  await open(page, '/');
  assert.equal(await page.locator('html').getAttribute('lang'), 'id', 'the portal is not in Bahasa Indonesia by default');
  await page.fill('#name', 'Budi Santoso');
  await page.fill('#email', 'budi.santoso@warga.test');
  // Any unit of the place select; Dinas Kesehatan when the demo city has it.
  const units = await page.locator('#place option[value^="unit:"]').evaluateAll((os) =>
    os.map((o) => ({ value: o.value, name: o.textContent.trim() })),
  );
  assert.ok(units.length > 0, 'the place select offers no unit');
  const unit = units.find((u) => u.value === 'unit:DINKES') ?? units[0];
  await page.selectOption('#place', unit.value);
  ticket.unit = unit.value.slice('unit:'.length);
  ticket.unitName = unit.name;
  await page.selectOption('#kind', 'incident');
  await page.fill('#title', TITLE);
  await page.fill('#description', DESCRIPTION);
  await page.setInputFiles('#attachment', { name: 'layar-simpus.png', mimeType: 'image/png', buffer: PNG });
  await submitAndWait(page, page.locator('#lapor button[type="submit"]'), 'report form');

  const landed = new URL(page.url());
  assert.match(landed.pathname, /^\/lacak\/[^/]+$/, `after reporting: ${page.url()}`);
  assert.equal(landed.searchParams.get('baru'), '1', `no baru=1 in ${page.url()}`);
  assert.ok(landed.searchParams.get('token'), `no token in ${page.url()}`);
  ticket.number = (await page.locator('[data-ticket-number]').innerText()).trim();
  assert.match(ticket.number, /^[A-Z]{1,10}-\d{4}-\d{6}$/, `ticket number "${ticket.number}"`);
  assert.equal(decodeURIComponent(landed.pathname.split('/').pop()), ticket.number, 'URL and shown number differ');
  ticket.link = await page.locator('[data-tracking-link]').getAttribute('href');
  assert.ok(ticket.link, 'no tracking link');
  const link = new URL(ticket.link, server.base);
  assert.equal(decodeURIComponent(link.pathname), `/lacak/${ticket.number}`, `tracking link ${ticket.link}`);
  assert.equal(link.searchParams.get('token'), landed.searchParams.get('token'), 'tracking link carries another token');
  assert.equal(link.origin, server.base, `tracking link points elsewhere: ${ticket.link}`);
  assert.ok((await page.locator('main').innerText()).includes(TITLE), 'the tracking page does not show the title');
  note(`ticket ${ticket.number} for ${ticket.unitName} (${ticket.unit}); tracking link ${ticket.link}`);
  await closePage(page);
}

async function tier1RepliesAndEscalates() {
  const agent = tier1Of(ticket.unit);
  const page = await signIn(agent, agent);
  await open(page, `/konsol/tiket/${ticket.number}`);
  assert.ok((await page.locator('h1').innerText()).includes(TITLE), 'ticket page heading lacks the title');
  const attachment = page.locator('a[href*="/lampiran/"]');
  assert.ok((await attachment.count()) > 0, 'the attached PNG is not listed on the ticket page');
  assert.ok((await attachment.first().innerText()).includes('layar-simpus'), 'attachment name not shown');
  note(`${agent}: offered ${(await actionsOffered(page)).join(', ')}`);

  await page.fill('#reply', REPLY);
  await submitAndWait(page, page.locator('form:has(#reply) button[type="submit"]'), 'public reply');
  assert.ok((await timelineText(page)).includes(REPLY), 'the reply is not in the timeline after sending');

  await act(page, 'escalate', (form) => form.locator('[name="reason"]').fill(ESCALATION));
  // The unit keeps seeing its escalated tickets (SPEC 2): the page is there, now at tier 2.
  if (!new URL(page.url()).pathname.startsWith('/konsol/tiket/')) {
    note(`after escalating, ${agent} was sent to ${page.url()}`);
    await open(page, `/konsol/tiket/${ticket.number}`);
  }
  const badges = await page.locator('h1 + p').innerText();
  assert.ok(/Tier 2/.test(badges), `after escalating the ticket page shows "${badges}", not Tier 2`);
  note(`escalated; status ${await statusOf(page)}`);
  await closePage(page);
}

async function tier2Resolves() {
  const page = await signIn('t2.andi', 't2.andi');
  await open(page, `/konsol/tiket/${ticket.number}`);
  assert.ok(/Tier 2/.test(await page.locator('h1 + p').innerText()), 'tier 2 sees the ticket but not at tier 2');
  const timeline = await timelineText(page);
  assert.ok(timeline.includes(REPLY), 'tier 2 does not see the tier-1 reply in the timeline');
  for (let round = 0; round < 4; round++) {
    const offered = await actionsOffered(page);
    note(`t2.andi (status ${await statusOf(page)}): offered ${offered.join(', ')}`);
    if (offered.includes('resolve')) {
      await act(page, 'resolve', (form) => form.locator('[name="resolution"]').fill(RESOLUTION));
      break;
    }
    const assignee = await page.locator('dl.facts dd').nth(4).innerText();
    if (offered.includes('assign') && !assignee.includes('t2.andi') && !assignee.includes('Andi')) {
      await act(page, 'assign', (form) => form.locator('select[name="username"]').selectOption('t2.andi'));
    } else if (offered.includes('start')) {
      await act(page, 'start');
    } else if (offered.includes('resume')) {
      await act(page, 'resume');
    } else {
      throw new Error(`cannot reach "resolve": offered ${offered.join(', ')}`);
    }
  }
  assert.equal(await statusOf(page), 'resolved', 'the ticket is not resolved after "resolve"');
  assert.ok((await page.locator('h1 + p').innerText()).includes('Selesai'), 'status badge does not say "Selesai"');
  await closePage(page);
}

async function citizenRates() {
  const page = await newPage('warga');
  await open(page, ticket.link);
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(REPLY), "the tracking page does not show the agent's reply");
  const status = page.locator('dd[data-status]');
  assert.equal(await status.getAttribute('data-status'), 'resolved', 'tracking page status');
  assert.equal((await status.innerText()).trim(), 'Selesai', 'tracking page status words');
  if (!text.includes(RESOLUTION)) note('the resolution text is not shown on the tracking page');
  const form = page.locator('#nilai');
  assert.equal(await form.count(), 1, 'no rating form (#nilai) on the tracking page of a resolved ticket');
  await screenshot(page, 'tracking-rating', ticket.link);
  await form.locator('input[name="rating"][value="5"]').check();
  await form.locator('textarea[name="comment"]').fill('Cepat dan jelas, terima kasih.');
  await submitAndWait(page, form.locator('button[type="submit"]'), 'rating');
  const heading = (await page.locator('h1').first().innerText()).trim();
  assert.match(heading, /Terima kasih/i, `after rating: "${heading}"`);
  await open(page, ticket.link);
  assert.equal(await page.locator('#nilai').count(), 0, 'the rating form is still offered after rating');
  await closePage(page);
}

async function otherUnitIsRefused() {
  const other = ticket.unit === 'DISDIK' ? 't1.dinkes' : 't1.disdik';
  const page = await signIn(other, other);
  await open(page, `/konsol/tiket/${ticket.number}`, 404);
  const text = await page.locator('body').innerText();
  assert.ok(!text.includes(TITLE), `${other} sees the title of ${ticket.number} on the 404 page`);
  assert.ok(!text.includes(ticket.number) || !text.includes(DESCRIPTION), 'the 404 page shows the ticket');
  // Nor in the queue or its text search.
  await open(page, `/konsol?q=${encodeURIComponent(ticket.number)}&status=semua&tampilan=semua`);
  assert.equal(await page.locator(`tr[data-number="${ticket.number}"]`).count(), 0, `${other} finds the ticket in the queue`);
  // Nor its attachment or its actions.
  const response = await page.request.post(url(`/konsol/tiket/${ticket.number}/tindakan/start`), {
    form: { csrf: 'x' },
    maxRedirects: 0,
  });
  assert.ok([403, 404].includes(response.status()), `POST start by ${other}: ${response.status()}`);
  note(`${other}: ticket page 404, not in the queue, action refused (${response.status()})`);
  await closePage(page);
}

let supervisor;
async function supervisorQueue() {
  supervisor = await signIn('sup.kominfo', 'sup.kominfo');
  await open(supervisor, `/konsol?q=${encodeURIComponent(ticket.number)}&status=semua`);
  const row = supervisor.locator(`tr[data-number="${ticket.number}"]`);
  assert.equal(await row.count(), 1, `the queue search for ${ticket.number} has no row for it`);
  note(`queue row: ${(await row.innerText()).replace(/\s+/g, ' ')}`);
}

async function supervisorDashboard() {
  current.page = supervisor;
  const response = await supervisor.goto(url('/konsol/dasbor'), { waitUntil: 'load' });
  assert.notEqual(response.status(), 404, 'GET /konsol/dasbor answers 404: the supervisor dashboard is not built (yet)');
  assert.ok(response.ok(), `GET /konsol/dasbor answered ${response.status()}: ${await mainText(supervisor)}`);
  const rows = await supervisor.locator('table tr').evaluateAll((trs) => trs.map((tr) => tr.innerText.replace(/\s+/g, ' ')));
  assert.ok(rows.length > 0, 'the dashboard has no table');
  const row = rows.find((r) => r.includes(ticket.unitName) || new RegExp(`\\b${ticket.unit}\\b`).test(r));
  assert.ok(row, `no dashboard table row for ${ticket.unitName} (${ticket.unit}); rows: ${rows.slice(0, 10).join(' | ')}`);
  note(`dashboard row: ${row}`);
}

async function skipLinkFirst() {
  const page = await newPage('keyboard');
  await open(page, '/');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      cls: el.className,
      href: el.getAttribute('href'),
      text: el.textContent.trim(),
      focusVisible: el.matches(':focus-visible'),
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      outlineOn: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
      shadow: style.boxShadow !== 'none',
      onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight,
    };
  });
  assert.equal(focused.tag, 'a', `the first Tab stop is <${focused.tag} class="${focused.cls}">, not the skip link`);
  assert.ok(focused.href?.startsWith('#'), `the first Tab stop links to ${focused.href}, not into the page`);
  assert.ok(focused.onScreen, `the focused skip link "${focused.text}" is not on screen`);
  assert.ok(focused.focusVisible, 'the skip link does not match :focus-visible after Tab');
  assert.ok(focused.outlineOn || focused.shadow, `the focused skip link has no visible focus indicator (outline ${focused.outline})`);
  note(`first Tab stop: "${focused.text}" → ${focused.href}; outline ${focused.outline}`);
  await page.screenshot({ path: path.join(SHOTS, 'portal-skip-focus-desktop.png') });
  // Enter follows it: the main content takes the focus.
  await page.keyboard.press('Enter');
  const target = focused.href.slice(1);
  const active = await page.evaluate(() => document.activeElement?.id);
  assert.equal(active, target, `after Enter on the skip link, focus is on #${active}, not #${target}`);
  await closePage(page);
}

async function screenshots() {
  const missing = [];
  const shoot = async (page, name, p, notFoundPage = false) => {
    current.page = page;
    if ((await screenshot(page, name, p, notFoundPage)) === 'missing') missing.push(`${name} (${p})`);
  };
  const visitor = await newPage('pengunjung');
  await shoot(visitor, 'portal', '/');
  if (ticket.link) await shoot(visitor, 'tracking', ticket.link);
  else note('tracking: no ticket was reported; no screenshot');
  await shoot(visitor, 'login', '/masuk');
  await shoot(visitor, 'kb', '/bantuan');
  await shoot(visitor, 'status', '/status');
  await closePage(visitor);

  const agent = await signIn('agen', tier1Of(ticket.unit ?? 'DINKES'));
  await shoot(agent, 'queue', '/konsol');
  await shoot(agent, 'new-ticket', '/konsol/tiket-baru');
  await shoot(agent, 'canned', '/konsol/balasan');
  await closePage(agent);

  const sup = await signIn('supervisor', 'sup.kominfo');
  if (ticket.number) await shoot(sup, 'ticket', `/konsol/tiket/${ticket.number}`);
  else note('ticket: no ticket was reported; no screenshot');
  await shoot(sup, 'dashboard', '/konsol/dasbor');
  await shoot(sup, 'reports', '/konsol/laporan');
  await shoot(sup, 'compliance', '/konsol/laporan/kepatuhan');
  await shoot(sup, 'disruptions', '/konsol/gangguan');
  await closePage(sup);

  const admin = await signIn('admin', 'admin', ADMIN_PASSWORD);
  await shoot(admin, 'admin', '/konsol/admin');
  await shoot(admin, 'admin-users', '/konsol/admin/pengguna');
  await shoot(admin, 'admin-person', '/konsol/admin/pengguna/sup.kominfo');
  await shoot(admin, 'admin-quarantine', '/konsol/admin/karantina?semua=1');
  await shoot(admin, 'admin-signins', '/konsol/admin/log-masuk');
  await shoot(admin, 'admin-directory', '/konsol/admin/direktori');
  await shoot(admin, 'admin-import', '/konsol/admin/impor');
  await shoot(admin, 'password', '/konsol/sandi');
  await shoot(admin, 'two-factor', '/konsol/2fa');
  await closePage(admin);
  const stranger = await newPage('pengunjung-lupa');
  await shoot(stranger, 'forgot-password', '/masuk/lupa');
  await shoot(stranger, 'not-found', '/tidak-ada', true);
  await closePage(stranger);
  if (missing.length) note(`not built yet (404), no screenshots: ${missing.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Status gangguan

const OUTAGE = `SIKDA tidak dapat diakses (uji peramban ${stamp})`;
const OUTAGE_FIX = `Server SIKDA sudah dipulihkan (${stamp}).`;

/** Tier 1 of Dinas Kesehatan declares SIKDA down; a citizen picking SIKDA is told and linked;
 *  resolving the problem with its incidents answers the citizen and ends the disruption. */
async function disruptionReachesCitizens() {
  const agent = await signIn('t1.dinkes-gangguan', 't1.dinkes');
  await open(agent, '/konsol/gangguan');
  await agent.selectOption('#service', 'SIKDA');
  await agent.selectOption('#state', 'major_outage');
  await agent.fill('#title', OUTAGE);
  await agent.fill('#update', 'Server SIKDA tidak merespons; tim sedang memeriksa.');
  await submitAndWait(agent, agent.locator('form[action="/konsol/gangguan"] button[type="submit"]'), 'declare');
  const card = agent.locator('article.disruption', { hasText: OUTAGE });
  assert.equal(await card.count(), 1, `the declared disruption is not listed: ${await mainText(agent)}`);
  const problem = (await card.locator('a[href^="/konsol/tiket/"]').first().innerText()).trim();
  assert.match(problem, /^[A-Z]{1,10}-\d{4}-\d{6}$/, `problem number "${problem}"`);

  const citizen = await newPage('warga-gangguan');
  await open(citizen, '/status');
  assert.ok((await citizen.locator('main').innerText()).includes(OUTAGE), 'the status page does not show the outage');
  await open(citizen, '/');
  assert.ok((await citizen.locator('section.disrupted').innerText()).includes(OUTAGE), 'the portal does not tell of the outage');
  const option = (await citizen.locator('#place option[value="service:SIKDA"]').innerText()).trim();
  assert.ok(option.includes('sedang gangguan'), `the SIKDA option does not say it is disrupted: "${option}"`);
  await citizen.fill('#name', 'Sari Lestari');
  await citizen.fill('#email', 'sari.lestari@warga.test');
  await citizen.selectOption('#place', 'service:SIKDA');
  await citizen.selectOption('#kind', 'incident');
  await citizen.fill('#title', 'SIKDA tidak bisa dibuka');
  await citizen.fill('#description', 'Sejak pagi SIKDA di puskesmas kami menampilkan galat saat dibuka.');
  assert.ok(await citizen.locator('input[name="follow_disruption"]').isChecked(), 'following is not offered ticked');
  await submitAndWait(citizen, citizen.locator('#lapor button[type="submit"]'), 'report on SIKDA');
  const tracking = citizen.url();

  await open(agent, `/konsol/tiket/${problem}`);
  assert.ok((await timelineText(agent)).includes('menautkan insiden'), 'the problem timeline does not show the linked report');
  for (let round = 0; round < 3; round++) {
    const offered = await actionsOffered(agent);
    if (offered.includes('resolve')) break;
    if (offered.includes('start')) await act(agent, 'start');
    else throw new Error(`cannot reach "resolve" on the problem: offered ${offered.join(', ')}`);
  }
  await act(agent, 'resolve', async (form) => {
    await form.locator('[name="resolution"]').fill(OUTAGE_FIX);
    assert.ok(await form.locator('input[name="resolve_linked"]').isChecked(), 'resolve_linked is not offered ticked');
  });
  await open(citizen, tracking);
  assert.equal(await citizen.locator('dd[data-status]').getAttribute('data-status'), 'resolved', 'the linked report is not resolved');
  await open(citizen, '/status/SIKDA');
  const history = await citizen.locator('main').innerText();
  assert.ok(history.includes(OUTAGE) && history.includes('layanan kembali normal'), 'the service history lacks the outage or its closing update');
  assert.ok(!history.includes(OUTAGE_FIX), "the problem's resolution, written for staff, is not on the public page");
  await screenshot(citizen, 'status-service', '/status/SIKDA');
  await closePage(citizen);
  await closePage(agent);
}

// ---------------------------------------------------------------------------------------------
// Single sign-on and the second factor

/** The OpenID provider of tests/sso, for the desk on `deskBase`; resolves once it listens. */
function startProvider(port, deskBase) {
  const child = spawn(process.execPath, [path.join(ROOT, 'tests', 'sso', 'provider.mjs')], {
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_REDIRECT_URIS: `${deskBase}/masuk/sso/callback`,
      OIDC_POST_LOGOUT_URIS: `${deskBase}/masuk`,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the OpenID provider exited (${code})`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening')) resolve(child);
    });
  });
}

async function apiToken(username, password) {
  const response = await fetch(url('/api/v1/auth/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200, `token for ${username}`);
  return (await response.json()).token;
}

async function signInThroughProvider() {
  const token = await apiToken('admin', ADMIN_PASSWORD);
  const mapped = await fetch(url('/api/v1/directory/group-mappings'), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify([{ group: 'sso-dinkes', role: 'agent_t1', unit: 'DINKES' }]),
  });
  assert.equal(mapped.status, 200, `group mappings: ${await mapped.text()}`);
  const page = await newPage('sso');
  // The provider's development login page asks for web fonts: nothing leaves loopback.
  await page.route((u) => !['127.0.0.1', 'localhost'].includes(u.hostname), (r) => r.abort());
  await open(page, '/masuk');
  await submitAndWait(page, page.getByRole('link', { name: 'Masuk dengan SSO' }), 'Masuk dengan SSO');
  assert.ok(page.url().startsWith(provider.issuer), `on the provider's page: ${page.url()}`);
  await page.locator('input[name="login"]').fill('dewi');
  await page.locator('input[name="password"]').fill('rahasia');
  await page.screenshot({ path: path.join(SHOTS, 'sso-provider-login.png') });
  await submitAndWait(page, page.locator('button[type="submit"]'), 'the provider signs dewi in');
  await page.waitForURL((u) => u.href.startsWith(`${server.base}/konsol`), { timeout: NAVIGATION_TIMEOUT });
  const text = await page.locator('body').innerText();
  assert.ok(text.includes('Dewi Anggraini'), 'signed in to the console as Dewi');
  note(`back in the console at ${new URL(page.url()).pathname} as Dewi Anggraini (agent_t1, DINKES)`);
  await closePage(page);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) from a base32 secret, `offset` steps from now. */
function totp(secretBase32, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const number = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

async function enrolSecondFactor() {
  const username = tier1Of('DISDIK');
  const page = await signIn('2fa', username);
  await open(page, '/konsol/2fa');
  await submitAndWait(page, page.locator('form[action="/konsol/2fa/mulai"] button'), 'begin enrolment');
  assert.ok(await page.locator('figure.qr svg').count(), 'the QR code meja drew');
  const secret = (await page.locator('[data-totp-secret]').innerText()).trim();
  await page.locator('#code').fill(totp(secret));
  await submitAndWait(page, page.locator('form:has(#code) button[type="submit"]'), 'confirm the code');
  const codes = await page.locator('[data-recovery-codes] li').count();
  assert.equal(codes, 10, 'ten recovery codes');
  note(`${username} enrolled; ten recovery codes shown`);
  await closePage(page);
  // The next sign-in asks for a code: the next time step's (a code is never taken twice).
  const again = await newPage('2fa-lagi');
  await open(again, '/masuk');
  await again.fill('#username', username);
  await again.fill('#password', DEMO_PASSWORD);
  await submitAndWait(again, again.locator('form[action="/masuk"] button[type="submit"]'), 'password');
  assert.equal(new URL(again.url()).pathname, '/masuk', 'the code step');
  await again.locator('#code').fill(totp(secret, 1));
  await submitAndWait(again, again.locator('form[action="/masuk/kode"] button[type="submit"]'), 'the code');
  assert.ok(new URL(again.url()).pathname.startsWith('/konsol'), `signed in with the code: ${again.url()}`);
  await closePage(again);
}

/** Fails on any serious or critical axe violation found while taking the screenshots. */
async function accessible() {
  if (accessibility.length) {
    throw new Error(`${accessibility.length} serious or critical accessibility violation(s):\n   ${accessibility.join('\n   ')}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium) or set MEJA_CHROMIUM`);
  }
  const bin = mejaBinary();
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const old of fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png'))) fs.rmSync(path.join(SHOTS, old));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meja-browser-'));
  const [deskPort, providerPort] = [await freePort(), await freePort()];
  provider = { issuer: `http://127.0.0.1:${providerPort}` };
  provider.child = await startProvider(providerPort, `http://127.0.0.1:${deskPort}`);
  server = new Server(bin, dir, deskPort, provider.issuer);
  log(`==> meja serve --demo on ${server.base} (database and log in ${dir})`);
  server.start();
  await server.waitHealthy();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  log(`==> Chromium ${browser.version()}`);

  await step('a citizen reports', [], citizenReports);
  await step('b tier 1 replies and escalates', ['a citizen reports'], tier1RepliesAndEscalates);
  await step('c tier 2 resolves', ['b tier 1 replies and escalates'], tier2Resolves);
  await step('d citizen sees the answer and rates', ['c tier 2 resolves'], citizenRates);
  await step('e another unit is refused', ['a citizen reports'], otherUnitIsRefused);
  await step('f supervisor finds it in the queue', ['a citizen reports'], supervisorQueue);
  await step('f supervisor dashboard shows its unit', ['f supervisor finds it in the queue'], supervisorDashboard);
  await step('keyboard: skip link first, focus visible', [], skipLinkFirst);
  await step('i sign in through the single sign-on provider', [], signInThroughProvider);
  await step('j enrol a second factor and sign in with a code', [], enrolSecondFactor);
  await step('k a disruption reaches the citizens who report it', [], disruptionReachesCitizens);
  const helpers = { apiToken, signIn, newPage, open, submitAndWait, closePage, note, warn, url, current, stamp, DEMO_PASSWORD };
  await step('l bulk resolve with one refusal', [], () => bulkResolveWithOneRefusal(helpers));
  await step('m a canned reply picked, filled in and sent', [], () => cannedReplyPicker(helpers));
  await step("n a staff file reaches the requester's mailbox", [], () => staffFileReachesMailbox(helpers));
  await step('o the live queue shows a ticket opened by another client', [], () => liveQueue(helpers));
  await step('g screenshots', [], screenshots);
  await step('h accessibility (axe-core, WCAG 2.1 AA, both widths)', ['g screenshots'], accessible);

  const failed = results.filter((r) => r.status !== 'ok');
  log('\n==> browser test results');
  for (const r of results) log(`   ${r.status.padEnd(7)} ${r.name}${r.status === 'ok' ? '' : `: ${r.detail.split('\n')[0]}`}`);
  if (warnings.length) {
    log(`\n==> ${warnings.length} warning(s)`);
    for (const w of warnings) log(`   ! ${w}`);
  }
  log(`\nscreenshots: ${path.relative(process.cwd(), SHOTS) || '.'}`);
  if (failed.length) {
    log(`server log (last lines, full log in ${server.logPath}):\n${server.tail(25)}`);
    return 1;
  }
  if (!process.env.MEJA_BROWSER_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  return 0;
}

async function cleanup() {
  try {
    await browser?.close();
  } catch {
    // already gone
  }
  await server?.stop();
  provider?.child?.kill('SIGTERM');
}

// However this process ends (an uncaught error included), the provider it started goes with it.
process.on('exit', () => provider?.child?.kill('SIGTERM'));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    log(`\n${signal}: stopping`);
    await cleanup();
    process.exit(130);
  });
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`\nbrowser tests: ${e?.stack ?? e}`);
  code = 1;
} finally {
  await cleanup();
}
if (code !== 0) log('\nbrowser tests FAILED');
else log('\nbrowser tests passed');
process.exit(code);
