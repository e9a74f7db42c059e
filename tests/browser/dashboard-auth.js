// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The cadmon authors
//
// The dashboard with real bearer tokens, over HTTPS (meson test "browser-auth"): cadmond with
// two tokens in its YAML (a viewer, a supervisor), http.tls with tests/tls/make-certs.sh's
// server certificate, and its default detector (the sequential rule). Debian's Chromium trusts
// the test CA as a center's workstation would: Chromium runs with a fresh HOME whose NSS
// database ($HOME/.pki/nssdb, made with certutil from libnss3-tools) holds ca.pem as a
// trusted CA; no certificate error is ignored. The page asks for a token; the
// viewer's shows the board with callers' numbers cut to their last 4 digits
// (auth.redact_ani's default) and the alert explained (why, evidence against threshold,
// expected against actual); its ack gets cadmond's real 403; the supervisor's ack reaches a
// console that authenticated on the alert port with its own token line.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Cadmond, launchChromium, waitFor, step, runMain, tearDown } = require('./harness');

const VIEWER_TOKEN = 'viewer-token-0123456789';
const SUPERVISOR_TOKEN = 'supervisor-token-0123456789';

// op-5 cuts off 8 calls in a row, 2 minutes apart, while op-6 (the rest of METRO) talks to
// every caller: the sequential rule's evidence reaches ln(10000) on the 8th.
function sequentialShift() {
  const lines = [];
  const t0 = Date.parse('2026-11-29T08:00:00Z');
  const iso = (ms) => new Date(ms).toISOString();
  for (let i = 0; i < 8; i++) {
    const t = t0 + i * 120000;
    lines.push({ type: 'call_start', call_id: 's' + i, ts: iso(t), operator: 'op-5', agency: 'METRO', position: 'P2', ani: '50455503' + String(i).padStart(2, '0') });
    lines.push({ type: 'call_end', call_id: 's' + i, ts: iso(t + 4000 + i * 1000), released_by: 'operator' });
    lines.push({ type: 'call_start', call_id: 'o' + i, ts: iso(t + 10000), operator: 'op-6', agency: 'METRO', position: 'P4', ani: '50455504' + String(i).padStart(2, '0') });
    lines.push({ type: 'call_end', call_id: 'o' + i, ts: iso(t + 100000), released_by: 'caller' });
  }
  return lines;
}
const ALERT_ID = 'dcbd3917c8ac319f';
const WHY = 'op-5 ended 8 of 8 calls since 2026-11-29T08:00:00.000Z early where 0.8 were expected ' +
  '(the rest of agency METRO at the time of each call, times 1.31 for op-5\'s own history, ' +
  'too short yet to tell their own rate: a position that honestly gets many silent calls ' +
  'looks the same); 0 callers rang back; evidence 9.4, alert at 9.2';

// A HOME for Chromium whose NSS database trusts the CA (to issue TLS server certificates).
function homeTrusting(home, caPem) {
  const db = 'sql:' + path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(path.join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync('certutil', ['-N', '-d', db, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', db, '-n', 'cadmon test CA', '-t', 'C,,', '-i', caPem]);
  return home;
}

async function signIn(page, url, token) {
  const response = await page.goto(url);
  assert.equal(response.status(), 200);
  await page.locator('#token-form').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#token-input').fill(token);
  await page.locator('#token-form button[type="submit"]').click();
  await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
  return response;
}

async function main() {
  const cadmond = new Cadmond({
    httpYaml: '  tls: true\n',
    yaml: 'auth:\n  tokens:\n' +
      '    - {name: wall-1, role: viewer, token: "' + VIEWER_TOKEN + '"}\n' +
      '    - {name: sup-1, role: supervisor, token: "' + SUPERVISOR_TOKEN + '"}\n',
  });
  const certs = path.join(cadmond.dir, 'certs');
  execFileSync('sh', [path.join(__dirname, '..', 'tls', 'make-certs.sh'), certs]);
  cadmond.yaml += 'tls:\n  certificate: "' + path.join(certs, 'server.pem') + '"\n  key: "' + path.join(certs, 'server.key') + '"\n';
  let browser = null;
  let consoleClient = null;
  try {
    await cadmond.start();
    assert.match(cadmond.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const home = homeTrusting(path.join(cadmond.dir, 'home'), path.join(certs, 'ca.pem'));
    browser = await launchChromium({ viewport: { width: 1440, height: 1000 }, env: Object.assign({}, process.env, { HOME: home }) });
    const pageErrors = [];
    const watch = (page) => {
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      page.on('console', (message) => {
        // the 401s before the token and the viewer's 403 are logged by Chromium as failed loads
        if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(message.text());
      });
    };
    const viewer = await browser.newPage();
    watch(viewer);

    await step('over HTTPS with the test CA\'s certificate, the page asks for a token; the viewer\'s shows the board', async () => {
      const response = await signIn(viewer, cadmond.url, VIEWER_TOKEN);
      const security = await response.securityDetails();
      assert.equal(security.issuer, 'cadmon test CA');
      assert.equal(security.subjectName, 'localhost');
      assert.equal(await viewer.evaluate(() => window.isSecureContext), true);
      assert.equal(await viewer.locator('#token-form').isVisible(), false);
      assert.equal(await viewer.evaluate(() => sessionStorage.getItem('cadmon.token')), VIEWER_TOKEN);
    });

    consoleClient = await cadmond.console({ token: VIEWER_TOKEN });
    await consoleClient.waitFor('the console\'s board', (line) => JSON.parse(line).board === 'end', 5000);
    assert.equal(consoleClient.lines[1], '{"authenticated":"viewer","name":"wall-1"}');

    await step('a sequential alert is explained: why, evidence against threshold, expected against actual', async () => {
      await cadmond.feed(sequentialShift());
      const alert = viewer.locator('article.card[data-alert-id="' + ALERT_ID + '"]');
      await alert.waitFor({ timeout: 5000 });
      assert.equal(await alert.locator('.rule-name').textContent(), 'sequential');
      assert.equal(await alert.locator('.badge.sev-warning').textContent(), 'WARNING');
      assert.equal(await alert.locator('.why').textContent(), WHY);
      assert.deepEqual(await alert.locator('.fig-label').allTextContents(), ['premature', 'expected', 'own factor', 'rang back']);
      assert.deepEqual(await alert.locator('.fig-value').allTextContents(), ['8 / 8', '0.8', '×1.31', '0']);
      assert.equal(await alert.locator('.evidence .ev-text').textContent(), 'evidence 9.4 / 9.2');
      assert.equal(await alert.locator('.evidence.over').count(), 1);
      // 9.41 of 1.5 × 9.21: the bar past the threshold's mark at two thirds
      assert.equal(await alert.locator('.ev-fill').evaluate((n) => n.style.width), '68.1%');
      assert.equal(await alert.locator('.ev-mark').evaluate((n) => n.style.left), '66.7%');
      // auth.redact_ani: a viewer sees the last 4 digits
      assert.deepEqual(await alert.locator('.callback .ani').allTextContents(),
        ['******0307', '******0306', '******0305', '******0304', '******0303', '******0302', '******0301', '******0300']);
    });

    await step('the operators table shows each call-taker\'s evidence and run', async () => {
      const row = viewer.locator('#operators-body tr[data-operator="op-5"]');
      await waitFor('op-5\'s evidence', async () => (await row.count()) === 1 &&
        (await row.locator('.rc-run').textContent()) === '8 of 8 premature', 7000);
      // what the page drew it from (docs/http.md's example)
      const answer = await viewer.evaluate(async (token) => (await fetch('/api/operators',
        { headers: { Authorization: 'Bearer ' + token } })).json(), VIEWER_TOKEN);
      assert.deepEqual(answer.operators[0].rules, [{ rule: 'sequential', window_seconds: 28800, calls: 8, premature: 8,
        called_back: 0, ratio: 1, center_ratio: 0, evidence: 9.41, threshold: 9.21, run_calls: 8, run_premature: 8,
        expected: 0.8, own_factor: 1.31 }]);
      assert.equal(await viewer.locator('#operators-head th[data-key="rule0"]').textContent(), 'sequential · evidence');
      assert.equal(await row.locator('.ev-text').textContent(), '9.4 / 9.2');
      assert.equal(await row.locator('.rc-expected').textContent(), '0.8 expected');
      assert.equal(await row.locator('.seq-cell.high').count(), 1);
      const quiet = viewer.locator('#operators-body tr[data-operator="op-6"]');
      assert.equal(await quiet.locator('.ev-text').textContent(), '0.0 / 9.2');
      assert.equal(await quiet.locator('.rc-run').textContent(), 'in line');
      assert.equal(await quiet.locator('.rc-expected').textContent(), '');
    });

    await step('the viewer\'s ack is refused by cadmond (403)', async () => {
      const alert = viewer.locator('article.card[data-alert-id="' + ALERT_ID + '"]');
      const refused = viewer.waitForResponse((r) => r.url().endsWith('/ack') && r.request().method() === 'POST');
      await alert.locator('input.ack-by').fill('wall-1');
      await alert.locator('button.ack-submit').click();
      const response = await refused;
      assert.equal(response.status(), 403);
      await alert.locator('.ack-error', { hasText: 'Acknowledging needs the supervisor role.' }).waitFor({ timeout: 3000 });
    });

    await step('the supervisor\'s ack goes through, and the console sees it', async () => {
      const supervisor = await browser.newPage();
      watch(supervisor);
      await signIn(supervisor, cadmond.url, SUPERVISOR_TOKEN);
      const alert = supervisor.locator('article.card[data-alert-id="' + ALERT_ID + '"]');
      await alert.waitFor({ timeout: 5000 });
      // redact_ani supervisor: none
      assert.equal(await alert.locator('.callback .ani').first().textContent(), '5045550307');
      await alert.locator('input.ack-by').fill('sup-kim');
      await alert.locator('input.ack-note').fill('calling back');
      await alert.locator('button.ack-submit').click();
      const notice = JSON.parse(await consoleClient.waitFor('the acknowledged notice on the alert port',
        (text) => JSON.parse(text).alert === 'acknowledged', 5000));
      assert.equal(notice.alert_id, ALERT_ID);
      assert.equal(notice.operator, 'op-5');
      assert.equal(notice.by, 'sup-kim');
      assert.equal(notice.note, 'calling back');
      await alert.locator('.ack-done .ack-by-name', { hasText: 'sup-kim' }).waitFor({ timeout: 3000 });
      // and the viewer's page follows live
      await viewer.locator('article.card[data-alert-id="' + ALERT_ID + '"] .ack-done .ack-by-name', { hasText: 'sup-kim' })
        .waitFor({ timeout: 3000 });
    });

    assert.deepEqual(pageErrors, []);
  } finally {
    await tearDown(cadmond, browser, consoleClient);
  }
}

runMain(main, 60);
