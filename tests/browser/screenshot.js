// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The cadmon authors
//
// docs/dashboard.png (scripts/screenshot): the dashboard of a real cadmond with its default
// rules, fed six hours of a simulated floor by tools/cadmon-sim (three call-takers cutting
// calls off, half their callers ringing again), ending now, so that the times are today's.
// One alert is acknowledged; a second feed source falls silent (a card, and the banner).
//   CADMOND=... CADMON_SIM=... node tests/browser/screenshot.js OUTPUT.png [WIDTHxHEIGHT] [wall]
'use strict';

const { execFileSync } = require('node:child_process');
const net = require('node:net');
const { Cadmond, launchChromium, closeChromium, waitFor } = require('./harness');

const HOURS = 8;
const SILENCE_SECONDS = 20;

async function main() {
  const output = process.argv[2] || 'dashboard.png';
  const sim = process.env.CADMON_SIM;
  if (!sim || !process.env.CADMOND) throw new Error('set CADMOND and CADMON_SIM (scripts/screenshot does)');
  const startMs = Math.floor((Date.now() - HOURS * 3600 * 1000) / 60000) * 60000;
  const shift = execFileSync(sim, ['--scenario', 'several-bad', '--operators', '10', '--hours', String(HOURS),
    '--seed', '7', '--agency', 'METRO', '--start', new Date(startMs).toISOString()], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((line) => JSON.parse(line))
    .filter((event) => Date.parse(event.ts) < Date.now() - 60000);
  const cadmond = new Cadmond({ feedYaml: '  silence_seconds: ' + SILENCE_SECONDS + '\n' });
  let browser = null;
  let closeLink = () => {};
  try {
    await cadmond.start();
    // cad-backup sends one call, then falls silent; cad-primary sends the shift once it has.
    const first = shift[0];
    await cadmond.feed([{ type: 'call_start', call_id: 'B-1', ts: first.ts, operator: 'op-04', agency: 'METRO', position: 'P04', ani: '5045550000' },
      { type: 'call_end', call_id: 'B-1', ts: new Date(Date.parse(first.ts) + 95000).toISOString(), released_by: 'caller' }], 'cad-backup');
    await waitFor('cad-backup to fall silent', async () => {
      const board = await (await fetch(cadmond.url + 'api/alerts/open')).json();
      return board.open.some((alert) => alert.system === 'feed_silent');
    }, (SILENCE_SECONDS + 15) * 1000);
    await cadmond.feed(shift, 'cad-primary');
    // cad-primary stays connected, as a CAD link does
    const link = net.connect(cadmond.feedPort, '127.0.0.1');
    link.on('error', () => {});
    link.write(JSON.stringify({ hello: 'feed', source: 'cad-primary' }) + '\n');
    closeLink = () => link.destroy();
    const open = await (await fetch(cadmond.url + 'api/alerts/open')).json();
    const operatorAlerts = open.open.filter((alert) => alert.type === 'operator');
    if (operatorAlerts.length < 2) throw new Error('the simulated shift raised ' + operatorAlerts.length + ' alerts');
    const acked = operatorAlerts[operatorAlerts.length - 1];
    await fetch(cadmond.url + 'api/alerts/' + acked.alert_id + '/ack', {
      method: 'POST', body: JSON.stringify({ by: 'sup-garcia', note: 'spoke with ' + acked.operator + ', reviewing calls' }) });
    const [width, height] = (process.argv[3] || '1600x1200').split('x').map(Number);
    const wall = process.argv[4] === 'wall';
    browser = await launchChromium({ viewport: { width, height }, deviceScaleFactor: 1 });
    const page = await browser.newPage();
    await page.goto(cadmond.url + (wall ? '?wall=1' : ''));
    await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 10000 });
    if (!wall) await page.locator('#operators-body tr').first().waitFor({ timeout: 10000 });
    await page.locator('#banner .banner-item').first().waitFor({ timeout: 5000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: output, fullPage: !wall });
    console.log('wrote ' + output);
  } finally {
    closeLink();
    await closeChromium(browser).catch(() => {});
    await cadmond.stop().catch((error) => console.error(String(error)));
    cadmond.cleanup();
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
