// A staff file that reaches the requester's real mailbox (issue 15): the agent attaches a PDF
// to a reply in the console, the desk mails it through Postfix, and the test reads it back from
// Dovecot over IMAP, as the citizen's mail program would. Needs the mail servers scripts/test
// starts (MEJA_TEST_SMTP_URL, MEJA_TEST_IMAP); skipped, and said so, without them.
import assert from 'node:assert/strict';

import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';

const MAILBOX_PASSWORD = 'rahasia'; // Dovecot's static test passdb (scripts/lib.sh)
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** The messages in `address`'s INBOX, parsed. */
async function inbox(imap, address) {
  const [host, port] = imap.split(':');
  const client = new ImapFlow({
    host, port: Number(port), secure: false, auth: { user: address, pass: MAILBOX_PASSWORD }, logger: false,
  });
  await client.connect();
  const messages = [];
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      if (client.mailbox.exists > 0) {
        for await (const message of client.fetch('1:*', { source: true })) {
          messages.push(await simpleParser(message.source));
        }
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  return messages;
}

export async function staffFileReachesMailbox(h) {
  const imap = process.env.MEJA_TEST_IMAP;
  if (!imap || !process.env.MEJA_TEST_SMTP_URL) {
    h.warn('SKIPPED: a staff file through Postfix and Dovecot (set MEJA_TEST_SMTP_URL and MEJA_TEST_IMAP; scripts/test does)');
    return;
  }
  const address = `lampiran.${h.stamp}@warga.test`;
  const reported = await fetch(h.url('/api/v1/public/tickets'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'incident', title: `Cara mengisi formulir SIMPUS (uji lampiran ${h.stamp})`,
      description: 'Mohon panduan pengisian.', unit: 'DINKES', requester: { name: 'Lina Marlina', email: address },
    }),
  });
  const created = JSON.parse(await reported.text());
  assert.equal(reported.status, 201, `reporting: ${JSON.stringify(created)}`);
  const { number, tracking_url: tracking } = created;

  const page = await h.signIn('t1.dinkes-lampiran', 't1.dinkes');
  h.current.page = page;
  await h.open(page, `/konsol/tiket/${number}`);
  await page.fill('#reply', `Panduan pengisian terlampir (${h.stamp}).`);
  await page.setInputFiles('#reply-files', [{ name: 'panduan-simpus.pdf', mimeType: 'application/pdf', buffer: PDF }]);
  await h.submitAndWait(page, page.locator('form[data-reply-form] button[type="submit"]'), 'reply with a file');
  const link = page.locator('.timeline a[href*="/lampiran/"]', { hasText: 'panduan-simpus.pdf' });
  assert.equal(await link.count(), 1, 'the file is not shown with the reply');
  await h.closePage(page);

  // The citizen's mailbox: the reply arrives with the file, byte for byte.
  const deadline = Date.now() + 60_000;
  let found = null;
  let seen = [];
  while (!found && Date.now() < deadline) {
    seen = await inbox(imap, address);
    found = seen.find((m) => m.attachments.some((a) => a.filename === 'panduan-simpus.pdf'));
    if (!found) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.ok(found, `no mail with the file reached ${address} in 60 s; the inbox has: ${seen.map((m) => m.subject).join(' | ')}`);
  const file = found.attachments.find((a) => a.filename === 'panduan-simpus.pdf');
  assert.equal(file.contentType, 'application/pdf');
  assert.ok(Buffer.compare(file.content, PDF) === 0, 'the mailed file differs from the one sent');
  assert.ok(found.subject.includes(number), `the mail's subject "${found.subject}" lacks ${number}`);
  assert.ok(found.text.includes('Panduan pengisian terlampir'), 'the mail lacks the reply text');
  h.note(`${address} got "${found.subject}" with panduan-simpus.pdf (${file.size} bytes) over IMAP`);

  // And the tracking page offers the same file for download.
  const citizen = await h.newPage('warga-lampiran');
  h.current.page = citizen;
  await h.open(citizen, tracking);
  const download = citizen.locator('[data-public-file]', { hasText: 'panduan-simpus.pdf' });
  assert.equal(await download.count(), 1, 'the tracking page does not offer the file');
  const response = await fetch(h.url(await download.getAttribute('href')));
  assert.equal(response.status, 200, 'the tracking page link does not download');
  assert.ok(Buffer.compare(Buffer.from(await response.arrayBuffer()), PDF) === 0, 'downloaded bytes differ');
  await h.closePage(citizen);
}
