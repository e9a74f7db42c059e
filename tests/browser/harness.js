// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The cadmon authors
//
// The real cadmond for the browser tests (as tests/support/daemon_harness.c does for the C tests):
// loopback ports picked free, a temporary configuration and state directory, started and
// stopped with its "listening for ..." log lines; a feed client and a raw console on the
// alert port; Debian's Chromium through playwright-core (never a downloaded browser).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = process.env.CADMON_CHROMIUM || '/usr/bin/chromium';

function fail(message) {
  throw new Error(message);
}

// n distinct free loopback ports (bound to 0, then released: the C harness does the same).
async function pickPorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const server = net.createServer();
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    servers.push(server);
    ports.push(server.address().port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function waitFor(what, test, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) fail('timed out after ' + timeoutMs + ' ms waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

class Cadmond {
  // options.feedYaml: lines under "feed:" (indented two spaces); options.yaml: further
  // top-level sections (detector, log, ...).
  constructor(options) {
    this.binary = process.env.CADMOND || fail('CADMOND is not set (meson sets it to the built cadmond)');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadmon-browser-'));
    this.stateDir = path.join(this.dir, 'state');
    fs.mkdirSync(this.stateDir);
    this.configPath = path.join(this.dir, 'cadmon.yaml');
    this.feedYaml = (options && options.feedYaml) || '';
    this.yaml = (options && options.yaml) || '';
    this.httpYaml = (options && options.httpYaml) || ''; // lines under "http:", e.g. "  tls: true\n"
    this.https = /^\s*tls:\s*true/m.test(this.httpYaml);
    this.child = null;
    this.log = '';
    this.seqs = new Map();
  }

  async start() {
    if (!this.httpPort) [this.feedPort, this.alertsPort, this.httpPort] = await pickPorts(3);
    fs.writeFileSync(this.configPath,
      'feed:\n  listen: "127.0.0.1:' + this.feedPort + '"\n' + this.feedYaml +
      'alerts:\n  listen: "127.0.0.1:' + this.alertsPort + '"\n' +
      'http:\n  listen: "127.0.0.1:' + this.httpPort + '"\n' + this.httpYaml + this.yaml);
    this.log = '';
    const child = spawn(this.binary, ['-c', this.configPath], {
      env: Object.assign({}, process.env, { STATE_DIRECTORY: this.stateDir }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      this.log += text;
    });
    child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor('cadmond to listen for http', () => {
      if (child.exitCode !== null) fail('cadmond exited at start:\n' + this.log);
      return this.log.includes('listening for http on 127.0.0.1:' + this.httpPort) &&
        this.log.includes('recovery:');
    }, 20000);
  }

  // SIGTERM, and wait for a clean exit.
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null) child.kill('SIGTERM');
    const { code, signal } = await child.exited;
    if (code !== 0) fail('cadmond ended with ' + (signal || code) + ':\n' + this.log);
  }

  cleanup() {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get url() {
    return (this.https ? 'https' : 'http') + '://127.0.0.1:' + this.httpPort + '/';
  }

  // Send feed lines on one connection; resolve once cadmond acknowledged the last seq.
  async feed(lines, source) {
    const name = source || 'cad-1';
    const socket = await connect(this.feedPort);
    const reader = lineReader(socket);
    // seq counts per source, across connections and restarts (docs/protocol.md)
    let seq = this.seqs.get(name) || 0;
    socket.write(JSON.stringify({ hello: 'feed', source: name }) + '\n');
    for (const line of lines) socket.write(JSON.stringify(Object.assign({ seq: ++seq }, line)) + '\n');
    this.seqs.set(name, seq);
    await reader.waitFor('the feed acknowledgement of seq ' + seq, (text) => JSON.parse(text).ack === seq, 10000);
    socket.end();
    return seq;
  }

  // A console on the alert port (protocol 2): its lines as they come. firstLine (an object,
  // e.g. {token}) is sent at once.
  async console(firstLine) {
    const socket = await connect(this.alertsPort);
    if (firstLine) socket.write(JSON.stringify(firstLine) + '\n');
    const reader = lineReader(socket);
    reader.close = () => socket.destroy();
    return reader;
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

// Lines of a socket, kept; waitFor(what, predicate, ms) resolves with the first match.
function lineReader(socket) {
  const lines = [];
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    partial += text;
    let newline;
    while ((newline = partial.indexOf('\n')) >= 0) {
      lines.push(partial.slice(0, newline));
      partial = partial.slice(newline + 1);
    }
  });
  socket.on('error', () => {});
  return {
    lines,
    waitFor: (what, predicate, timeoutMs) => waitFor(what, () => lines.find((line) => {
      try {
        return predicate(line);
      } catch (e) {
        return false;
      }
    }), timeoutMs),
  };
}

// A fresh profile in Debian's Chromium: a persistent context on a new --user-data-dir.
// options: playwright's context options, and extraArgs for Chromium's command line.
async function launchChromium(options) {
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch (e) {
    fail('playwright-core is not installed: run scripts/setup (npm ci in tests/browser)');
  }
  if (!fs.existsSync(CHROMIUM)) fail(CHROMIUM + ' is missing: apt-get install chromium (scripts/setup does)');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadmon-chromium-'));
  const { extraArgs, ...contextOptions } = options || {};
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(extraArgs || [])];
  const context = await playwright.chromium.launchPersistentContext(userDataDir, Object.assign({
    executablePath: CHROMIUM, args, headless: true, timeout: 30000 }, contextOptions));
  context.userDataDir = userDataDir;
  return context;
}

async function closeChromium(context) {
  if (!context) return;
  await context.close();
  fs.rmSync(context.userDataDir, { recursive: true, force: true });
}

// After a test, whatever it got to: its console, the browser, cadmond and its files.
async function tearDown(cadmond, browser, consoleClient) {
  if (consoleClient) consoleClient.close();
  await closeChromium(browser).catch(() => {});
  await cadmond.stop().catch((error) => console.error(String(error)));
  cadmond.cleanup();
}

// One step of a browser test: "ok - NAME (MS ms)" once it passed.
async function step(name, fn) {
  const started = Date.now();
  await fn();
  console.log('ok - ' + name + ' (' + (Date.now() - started) + ' ms)');
}

// Run a test's main(): "not ok - ..." and exit status 1 if it fails or takes over seconds.
function runMain(main, seconds) {
  const deadline = setTimeout(() => {
    console.error('not ok - the browser test took over ' + seconds + ' s');
    process.exit(1);
  }, seconds * 1000);
  main().then(() => {
    clearTimeout(deadline);
  }, (error) => {
    clearTimeout(deadline);
    console.error('not ok - ' + (error && error.stack ? error.stack : error));
    process.exitCode = 1;
  });
}

module.exports = { Cadmond, launchChromium, closeChromium, waitFor, fail, step, runMain, tearDown };
