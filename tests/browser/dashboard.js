// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The cadmon authors
//
// The dashboard in a real browser (meson test "browser"): Debian's headless Chromium opens
// GET / of the real cadmond; a scripted shift on the feed port raises an alert, which must
// appear live (no reload) with its operator and callback numbers; the alert is acknowledged
// from the page and a raw console on the alert port must receive that acknowledgement; then
// cadmond restarts while the page is cut off, an alert (and a "limit" system notice) is raised
// meanwhile, and the page must reconnect by itself (Last-Event-ID), show both (the notice in the
// banner and as a card, acknowledged from the page) and say they were missed. Also:
// click-to-copy, the mute switch, ?wall=1. Real tokens and HTTPS: dashboard-auth.js.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Cadmond, launchChromium, waitFor, step, runMain, tearDown } = require('./harness');

// At most 2 call-takers: op-9 (shift 2) makes cadmond forget op-8, a "limit" system notice.
const DETECTOR_YAML =
  'tracker:\n' +
  '  max_operators: 2\n' +
  'detector:\n' +
  '  premature:\n' +
  '    max_talk_seconds: 20\n' +
  '  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, min_ratio: 0.5, severity: critical}]\n';

// tests/support/shift_fixture.c's shift: op-7 hangs up on c1, c2 and c4; the alert fires on c4's end.
// op-7 logged on first (an operator_state line: shown in the operators table, changes no alert).
const SHIFT_1 = [
  { type: 'operator_state', ts: '2026-11-29T07:59:00Z', operator: 'op-7', agency: 'NOPD', position: 'P3', state: 'logged_on' },
  { type: 'call_start', call_id: 'c1', ts: '2026-11-29T08:00:00Z', operator: 'op-7', agency: 'NOPD', position: 'P3', ani: '5045550101' },
  { type: 'call_end', call_id: 'c1', ts: '2026-11-29T08:00:05Z', released_by: 'operator' },
  { type: 'call_start', call_id: 'h1', ts: '2026-11-29T08:00:30Z', operator: 'op-8', agency: 'NOPD', position: 'P4', ani: '5045550199' },
  { type: 'call_start', call_id: 'c2', ts: '2026-11-29T08:01:00Z', operator: 'op-7', agency: 'NOPD', position: 'P3' },
  { type: 'call_end', call_id: 'c2', ts: '2026-11-29T08:01:12.5Z', released_by: 'operator' },
  { type: 'call_start', call_id: 'c3', ts: '2026-11-29T08:02:00Z', operator: 'op-7', agency: 'NOPD', position: 'P3', ani: '5045550103' },
  { type: 'incident', call_id: 'c3', ts: '2026-11-29T08:02:04Z', incident_id: 'I-1' },
  { type: 'call_end', call_id: 'c3', ts: '2026-11-29T08:02:08Z', released_by: 'operator' },
  { type: 'call_end', call_id: 'h1', ts: '2026-11-29T08:03:30Z', released_by: 'caller' },
  { type: 'call_start', call_id: 'c4', ts: '2026-11-29T08:04:20Z', operator: 'op-7', agency: 'NOPD', position: 'P3', ani: '5045550104' },
  { type: 'call_end', call_id: 'c4', ts: '2026-11-29T08:04:30Z', released_by: 'operator' },
];
const SHIFT_1_ALERT_ID = '6033274aee8baf5c';

// Ten minutes later (op-7's calls have left the window): op-9 does the same, at P5.
const SHIFT_2 = [
  { type: 'call_start', call_id: 'd1', ts: '2026-11-29T08:15:00Z', operator: 'op-9', agency: 'NOPD', position: 'P5', ani: '5045550201' },
  { type: 'call_end', call_id: 'd1', ts: '2026-11-29T08:15:04Z', released_by: 'operator' },
  { type: 'call_start', call_id: 'd2', ts: '2026-11-29T08:16:00Z', operator: 'op-9', agency: 'NOPD', position: 'P5', ani: '5045550202' },
  { type: 'call_end', call_id: 'd2', ts: '2026-11-29T08:16:06Z', released_by: 'operator' },
  { type: 'call_start', call_id: 'd3', ts: '2026-11-29T08:17:00Z', operator: 'op-9', agency: 'NOPD', position: 'P5', ani: '5045550203' },
  { type: 'call_end', call_id: 'd3', ts: '2026-11-29T08:18:30Z', released_by: 'caller' },
  { type: 'call_start', call_id: 'd4', ts: '2026-11-29T08:19:20Z', operator: 'op-9', agency: 'NOPD', position: 'P5', ani: '5045550204' },
  { type: 'call_end', call_id: 'd4', ts: '2026-11-29T08:19:30Z', released_by: 'operator' },
];

// Before app.js runs: counts the WebAudio oscillators the page starts (the alert sound), and
// notes when (Date.now()) each alert card is first in the document.
function instrument() {
  window.cadmonTestCardSeen = {};
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('article.card[data-alert-id]'))
      if (!(card.dataset.alertId in window.cadmonTestCardSeen)) window.cadmonTestCardSeen[card.dataset.alertId] = Date.now();
  }).observe(document, { childList: true, subtree: true });
  window.cadmonTestTones = 0;
  const Context = window.AudioContext;
  const create = Context.prototype.createOscillator;
  Context.prototype.createOscillator = function countedOscillator() {
    window.cadmonTestTones++;
    return create.call(this);
  };
}

const card = (page, alertId) => page.locator('article.card[data-alert-id="' + alertId + '"]');

async function textsOf(locator) {
  return locator.evaluateAll((nodes) => nodes.map((node) => node.textContent));
}

async function main() {
  const cadmond = new Cadmond({ yaml: DETECTOR_YAML });
  let browser = null;
  let consoleClient = null;
  try {
    await cadmond.start();
    browser = await launchChromium({ viewport: { width: 1440, height: 1000 } });
    const context = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cadmond.url.replace(/\/$/, '') });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource|ERR_FAILED|ERR_CONNECTION_REFUSED/.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.addInitScript(instrument);

    await step('the dashboard loads under its CSP and goes live', async () => {
      const response = await page.goto(cadmond.url);
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-security-policy'], /^default-src 'none'; script-src 'self';/);
      await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
      assert.equal(await page.locator('#board-empty').isVisible(), true);
      await page.evaluate(() => { window.cadmonTestMarker = 'no reload'; });
    });

    consoleClient = await cadmond.console();
    await consoleClient.waitFor('the console\'s board', (line) => JSON.parse(line).board === 'end', 5000);

    await step('a scripted shift raises an alert that appears live, within a second', async () => {
      await cadmond.feed(SHIFT_1);
      const acked = Date.now(); // the alert goes to the consoles and streams with this ack
      await card(page, SHIFT_1_ALERT_ID).waitFor({ timeout: 5000 });
      const latency = await page.evaluate((id) => window.cadmonTestCardSeen[id], SHIFT_1_ALERT_ID) - acked;
      console.log('# alert on the page ' + latency + ' ms after the feed\'s ack');
      assert.ok(latency < 1000, 'the alert took ' + latency + ' ms to appear');
      assert.equal(await page.evaluate(() => window.cadmonTestMarker), 'no reload');
      assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
      const alert = card(page, SHIFT_1_ALERT_ID);
      assert.equal(await alert.locator('.operator').textContent(), 'op-7');
      assert.equal(await alert.locator('.where').textContent(), 'NOPD · position P3');
      assert.equal(await alert.locator('.badge.sev-critical').textContent(), 'CRITICAL');
      assert.equal(await alert.locator('.rule-name').textContent(), 'burst');
      assert.deepEqual(await textsOf(alert.locator('.fig-value')), ['3 / 4', '75%', '0%', '10 min']);
      // not yet called back first, newest first: c4, c2 (no number), c1
      assert.deepEqual(await alert.locator('.callback').evaluateAll((n) => n.map((x) => x.dataset.callId)), ['c4', 'c2', 'c1']);
      assert.deepEqual(await textsOf(alert.locator('.callback .ani')), ['5045550104', 'number unknown', '5045550101']);
      assert.equal(await page.locator('#board-count').textContent(), '1');
      assert.equal(await page.evaluate(() => window.cadmonTestTones), 4, 'a critical alert sounds four tones');
    });

    await step('a callback number is copied by a click', async () => {
      await card(page, SHIFT_1_ALERT_ID).locator('button.ani[data-ani="5045550101"]').click();
      await page.locator('button.ani.copied[data-ani="5045550101"]').waitFor({ timeout: 2000 });
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), '5045550101');
    });

    await step('the operators table and the center follow', async () => {
      const row = page.locator('#operators-body tr[data-operator="op-7"]');
      await row.waitFor({ timeout: 7000 });
      await waitFor('op-7\'s figures', async () => (await row.locator('.rc-counts').textContent()) === '3 / 4', 7000);
      assert.equal(await row.locator('.badge-mini').textContent(), 'ALERT');
      assert.equal(await row.locator('.op-state').textContent(), 'logged on');
      assert.equal(await row.locator('.op-state').getAttribute('data-state'), 'logged_on');
      // 12 bars of 50 s: op-7's calls in 4 of them, premature in 3
      assert.equal(await row.locator('svg.spark rect.spark-calls').count(), 4);
      assert.equal(await row.locator('svg.spark rect.spark-premature').count(), 3);
      assert.equal(await page.locator('#sources-body td.source-name').textContent(), 'cad-1');
    });

    await step('acknowledged from the page: every console sees it', async () => {
      const alert = card(page, SHIFT_1_ALERT_ID);
      await alert.locator('input.ack-by').fill('sup-dana');
      await alert.locator('input.ack-note').fill('calling back 5045550101');
      await alert.locator('button.ack-submit').click();
      const line = await consoleClient.waitFor('the acknowledged notice on the alert port', (text) => JSON.parse(text).alert === 'acknowledged', 5000);
      const notice = JSON.parse(line);
      assert.equal(notice.alert_id, SHIFT_1_ALERT_ID);
      assert.equal(notice.operator, 'op-7');
      assert.equal(notice.by, 'sup-dana');
      assert.equal(notice.note, 'calling back 5045550101');
      assert.equal(notice.seq, 2);
      await alert.locator('.ack-done .ack-by-name', { hasText: 'sup-dana' }).waitFor({ timeout: 3000 });
      assert.equal(await alert.locator('.ack-note-text').textContent(), '“calling back 5045550101”');
      await page.locator('#activity li.act-acknowledged', { hasText: 'acknowledged by sup-dana' }).waitFor({ timeout: 3000 });
    });

    await step('the mute toggle is remembered', async () => {
      await page.locator('#mute').click();
      assert.equal(await page.locator('#mute').getAttribute('aria-pressed'), 'true');
      assert.equal(await page.evaluate(() => localStorage.getItem('cadmon.muted')), '1');
    });

    await step('cadmond restarts while the page is cut off; the page catches up by itself', async () => {
      await page.route('**/api/stream', (route) => route.abort());
      await cadmond.stop();
      await page.locator('#connection', { hasText: 'Reconnecting' }).waitFor({ timeout: 5000 });
      await page.locator('#banner .banner-item', { hasText: 'No connection to cadmond' }).waitFor({ timeout: 2000 });
      consoleClient.close();
      await cadmond.start();
      consoleClient = await cadmond.console();
      await cadmond.feed(SHIFT_2);
      const firing = JSON.parse(await consoleClient.waitFor('op-9\'s alert on the alert port',
        (text) => JSON.parse(text).alert === 'firing' && JSON.parse(text).operator === 'op-9', 5000));
      assert.equal(await card(page, firing.alert_id).count(), 0, 'the page cannot have seen it yet');
      await page.unroute('**/api/stream');
      await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
      const missed = card(page, firing.alert_id);
      await missed.waitFor({ timeout: 5000 });
      assert.equal(await missed.locator('.operator').textContent(), 'op-9');
      assert.deepEqual(await textsOf(missed.locator('.callback .ani')), ['5045550204', '5045550202', '5045550201']);
      await page.locator('#missed', { hasText: 'while disconnected' }).waitFor({ timeout: 2000 });
      assert.match(await page.locator('#missed li', { hasText: 'op-9' }).first().textContent(), /NOPD · op-9: 3 of 4 calls premature \(burst\)$/);
      // the connection is back; the limit hit meanwhile is in the banner, amber (a warning)
      assert.equal(await page.locator('#banner .banner-item', { hasText: 'No connection' }).count(), 0);
      const limit = page.locator('#banner.banner-warning .banner-item.sev-warning', { hasText: 'Limit reached' });
      await limit.waitFor({ timeout: 2000 });
      assert.equal(await limit.locator('.banner-text').textContent(),
        'call-takers or agencies\' baselines forgotten (tracker.max_operators 2 reached): 1 so far; raise tracker.max_operators');
      assert.equal(await page.evaluate(() => window.cadmonTestMarker), 'no reload');
      assert.equal(await page.evaluate(() => window.cadmonTestTones), 4, 'muted: no sound');
    });

    await step('?wall=1 shows the board alone, in large type', async () => {
      const wall = await context.newPage();
      await wall.setViewportSize({ width: 1920, height: 1080 });
      await wall.goto(cadmond.url + '?wall=1');
      await wall.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
      await card(wall, SHIFT_1_ALERT_ID).waitFor({ timeout: 5000 });
      assert.equal(await wall.locator('#operators-section').isVisible(), false);
      assert.equal(await wall.locator('#center-section').isVisible(), false);
      const size = await card(wall, SHIFT_1_ALERT_ID).locator('.operator').evaluate((n) => getComputedStyle(n).fontSize);
      assert.equal(size, '34px');
      await wall.close();
    });

    await step('a system alert is a card too, with its details, and can be acknowledged', async () => {
      const limit = page.locator('article.card.system', { has: page.locator('.operator', { hasText: 'Limit reached' }) });
      await limit.waitFor({ timeout: 2000 });
      const alertId = await limit.getAttribute('data-alert-id');
      assert.equal(await limit.locator('.badge.sev-warning').textContent(), 'WARNING');
      assert.equal(await limit.locator('.system-message').textContent(),
        'call-takers or agencies\' baselines forgotten (tracker.max_operators 2 reached): 1 so far; raise tracker.max_operators');
      assert.deepEqual(await textsOf(limit.locator('.system-details dt')), ['limit', 'evicted']);
      assert.deepEqual(await textsOf(limit.locator('.system-details dd')), ['tracker.max_operators', '1']);
      await limit.locator('input.ack-by').fill('sup-dana');
      await limit.locator('input.ack-note').fill('raising it tonight');
      await limit.locator('button.ack-submit').click();
      const notice = JSON.parse(await consoleClient.waitFor('the system alert\'s acknowledgement',
        (text) => JSON.parse(text).alert === 'acknowledged' && JSON.parse(text).alert_id === alertId, 5000));
      assert.equal(notice.type, 'system');
      assert.equal(notice.system, 'limit');
      assert.equal(notice.by, 'sup-dana');
      assert.equal(notice.note, 'raising it tonight');
      await limit.locator('.ack-done .ack-by-name', { hasText: 'sup-dana' }).waitFor({ timeout: 3000 });
      // still in the banner: cadmon cannot see well until it is resolved
      assert.equal(await page.locator('#banner .banner-item', { hasText: 'Limit reached' }).count(), 1);
    });

    await step('cadmond restarts on a new, empty state directory: the page logs the new run\'s notices', async () => {
      // the page keeps its newest seq from the old run; the new run numbers from 1 again
      const activityOf = page.locator('#activity li.act-firing', { hasText: 'op-7: 3 of 4 calls premature' });
      assert.equal(await activityOf.count(), 1);
      consoleClient.close();
      consoleClient = null;
      await cadmond.stop();
      await page.locator('#connection', { hasText: 'Reconnecting' }).waitFor({ timeout: 5000 });
      cadmond.stateDir = path.join(cadmond.dir, 'state-new');
      fs.mkdirSync(cadmond.stateDir);
      cadmond.seqs = new Map();
      await cadmond.start();
      await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
      await cadmond.feed(SHIFT_1);
      await waitFor('op-7\'s alert of the new run in the activity list', async () => (await activityOf.count()) === 2, 5000);
      await card(page, SHIFT_1_ALERT_ID).waitFor({ timeout: 2000 });
    });

    assert.deepEqual(pageErrors, []);
  } finally {
    await tearDown(cadmond, browser, consoleClient);
  }
}

runMain(main, 100);
