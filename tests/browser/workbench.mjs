// The agent's workbench in a real browser (issue 15). Each scenario gets the runner's helpers
// (sign-in, navigation, notes) so that run.mjs stays the one place that starts the desk.
import assert from 'node:assert/strict';

/** Opens two tickets through the API as `agent` (one started, one left new) and returns their
 *  numbers; `title` marks them so that a search shows just these two. */
async function twoTickets(h, agent, title) {
  const token = await h.apiToken(agent, h.DEMO_PASSWORD);
  const open = async (suffix) => {
    const response = await fetch(h.url('/api/v1/tickets'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        kind: 'incident', title: `${title} ${suffix}`, description: 'Dibuka untuk uji tindakan massal.',
        unit: 'DINKES', impact: 'low', urgency: 'low', requester: { name: 'Sari Wulandari' },
      }),
    });
    const text = await response.text();
    assert.equal(response.status, 201, `opening a ticket: ${text}`);
    return JSON.parse(text).number;
  };
  const started = await open('A');
  const fresh = await open('B');
  const response = await fetch(h.url(`/api/v1/tickets/${started}/start`), {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}',
  });
  assert.equal(response.status, 200, `starting ${started}`);
  return { started, fresh };
}

/** Tier 1 ticks two tickets in the queue and resolves them in bulk: the started one is
 *  resolved, the new one is refused with the reason, on one result page. */
export async function bulkResolveWithOneRefusal(h) {
  const title = `Printer loket mati (uji massal ${h.stamp})`;
  const { started, fresh } = await twoTickets(h, 't1.dinkes', title);
  const page = await h.signIn('t1.dinkes-massal', 't1.dinkes');
  h.current.page = page;
  await h.open(page, `/konsol?q=${encodeURIComponent(`uji massal ${h.stamp}`)}`);
  for (const number of [started, fresh]) {
    await page.locator(`input[name="nomor"][value="${number}"]`).check();
  }
  await page.locator('details.bulk summary').click();
  await page.selectOption('#bulk-action', 'resolve');
  // Only the chosen action's fields show.
  assert.ok(await page.locator('#bulk-resolution').isVisible(), 'the resolution field is hidden for resolve');
  assert.ok(!(await page.locator('#bulk-username').isVisible()), 'the assignee field shows for resolve');
  await page.fill('#bulk-resolution', 'Kabel daya printer diganti; printer kembali normal.');
  await h.submitAndWait(page, page.locator('form[data-bulk] button[type="submit"]'), 'bulk resolve');
  assert.equal(await page.locator(`tr[data-number="${started}"]`).getAttribute('data-done'), 'true', `${started} was not resolved`);
  assert.equal(await page.locator(`tr[data-number="${fresh}"]`).getAttribute('data-done'), 'false', `${fresh} was not refused`);
  const refusal = await page.locator(`tr[data-number="${fresh}"]`).innerText();
  assert.match(refusal, /Ditolak/, `the refusal reads "${refusal}"`);
  h.note(`bulk resolve: ${started} done; ${fresh} refused: ${refusal.replace(/\s+/g, ' ')}`);
  await h.closePage(page);
}

/** Tier 1 types in the canned-reply search on a ticket, picks the city's "Laporan diterima",
 *  sees it filled in for the ticket in the reply box, and sends it. */
export async function cannedReplyPicker(h) {
  const { fresh } = await twoTickets(h, 't1.dinkes', `Scanner loket rusak (uji balasan ${h.stamp})`);
  const page = await h.signIn('t1.dinkes-balasan', 't1.dinkes');
  h.current.page = page;
  await h.open(page, `/konsol/tiket/${fresh}`);
  const filter = page.locator('[data-canned-filter]');
  assert.ok(await filter.isVisible(), 'the type-ahead search is not shown with script');
  await filter.fill('diterima');
  const shown = await page.locator('#canned option').evaluateAll((os) => os.filter((o) => o.value && !o.hidden).map((o) => o.textContent.trim()));
  assert.deepEqual(shown, ['Laporan diterima'], `typing "diterima" leaves ${JSON.stringify(shown)}`);
  const value = await page.locator('#canned option', { hasText: 'Laporan diterima' }).getAttribute('value');
  await page.selectOption('#canned', value);
  const text = await page.inputValue('#reply');
  assert.ok(text.startsWith('Yth. Sari Wulandari, laporan Anda nomor ' + fresh), `the reply box holds "${text.slice(0, 120)}"`);
  assert.ok(!text.includes('{{'), `a placeholder was left: "${text}"`);
  await h.submitAndWait(page, page.locator('form:has(#reply) button[type="submit"]'), 'canned reply');
  const timeline = (await page.locator('ol.timeline').innerText()).replace(/\s+/g, ' ');
  assert.ok(timeline.includes(`laporan Anda nomor ${fresh} sudah kami terima`), 'the canned reply is not in the timeline');
  h.note(`canned reply sent on ${fresh}`);
  await h.closePage(page);
}

/** The live queue: while tier 1's queue is open, a supervisor opens a ticket for the unit
 *  through the API (another client); the row appears at the top without a reload. Then the
 *  ticket page hears of a reply by somebody else and asks before sending over it. */
export async function liveQueue(h) {
  const page = await h.signIn('t1.dinkes-langsung', 't1.dinkes');
  h.current.page = page;
  await h.open(page, '/konsol?tampilan=unit');
  const firstBefore = await page.locator('table.queue tbody tr').first().getAttribute('data-number');
  // The stream opens with the page; give it a moment to connect before the change.
  await page.waitForTimeout(1000);
  const token = await h.apiToken('sup.kominfo', h.DEMO_PASSWORD);
  const title = `Jaringan kantor Dinkes putus (uji langsung ${h.stamp})`;
  const response = await fetch(h.url('/api/v1/tickets'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      kind: 'incident', title, description: 'Dibuka oleh klien lain untuk uji antrean langsung.',
      unit: 'DINKES', impact: 'medium', urgency: 'medium', requester: { name: 'Rudi Hartono' },
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, `opening a ticket: ${text}`);
  const number = JSON.parse(text).number;
  const started = Date.now();
  const row = page.locator(`table.queue tbody tr[data-number="${number}"]`);
  await row.waitFor({ state: 'attached', timeout: 10_000 }).catch(() => {
    throw new Error(`${number} did not appear in the open queue within 10 s (no reload)`);
  });
  const firstNow = await page.locator('table.queue tbody tr').first().getAttribute('data-number');
  assert.equal(firstNow, number, `the new ticket is not at the top (top: ${firstNow}, before: ${firstBefore})`);
  h.note(`${number} appeared in the open queue ${Date.now() - started} ms after the API call`);

  // The ticket page: a supervisor's reply arrives live; sending over it asks first.
  await h.open(page, `/konsol/tiket/${number}`);
  await page.waitForTimeout(1000);
  const reply = await fetch(h.url(`/api/v1/tickets/${number}/messages`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ body: `Tim jaringan sudah berangkat (${h.stamp}).` }),
  });
  assert.equal(reply.status, 201, 'the supervisor\'s reply');
  await page.locator('ol.timeline', { hasText: 'Tim jaringan sudah berangkat' }).waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error('the other reply did not appear on the open ticket page within 10 s');
  });
  let asked = '';
  page.once('dialog', async (dialog) => { asked = dialog.message(); await dialog.dismiss(); });
  await page.fill('#reply', 'Balasan yang ditulis sebelum melihat kabar terbaru.');
  await page.locator('form[data-reply-form] button[type="submit"]').click();
  await page.waitForTimeout(500);
  assert.ok(asked.includes('berubah'), `no confirmation before replying over a change (dialog: "${asked}")`);
  assert.ok(!(await page.locator('ol.timeline').innerText()).includes('sebelum melihat kabar'), 'the reply went out though dismissed');
  await h.closePage(page);
}
