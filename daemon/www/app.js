// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The cadmon authors
//
// The supervisors' dashboard: the open-alert board, live from GET /api/stream (Server-Sent
// Events read with fetch so that a bearer token can be sent), the call-takers' figures
// (GET /api/operators), the center (GET /api/status, GET /api/sources). No framework, no build
// step: served by cadmond as it is (daemon/www/, docs/http.md).
'use strict';

(() => {
  const RECONNECT_MS_DEFAULT = 2000;
  const STREAM_SILENCE_MS = 45000;    // 3 keepalives (http.stream_keepalive_seconds 15) missed
  const FIGURES_EVERY_MS = 5000;
  const ACTIVITY_MAX = 40;
  const MISSED_MAX = 20;
  const CALLBACKS_SHOWN = 8;         // per card, until "Show all"
  const RECENT_NOTICES = 30;         // loaded into "Recent notices" on opening

  const params = new URLSearchParams(location.search);
  const state = {
    wall: params.get('wall') === '1',
    board: new Map(),        // alert_id -> open alert (the board's "open" line, kept current)
    appliedSeq: 0,           // the newest notice the board reflects
    lastEventId: '',         // SSE id of the newest notice received (Last-Event-ID)
    loggedSeq: 0,            // the newest notice in the activity list
    retryMs: RECONNECT_MS_DEFAULT,
    connected: false,
    everConnected: false,
    disconnectedAt: null,    // Date the stream was lost
    resuming: false,         // this connection replays what was missed (until its board)
    missed: [],              // the last MISSED_MAX notices replayed on a resumed connection
    missedCount: 0,          // how many were replayed
    missedAlarm: false,      // a firing or escalated among them
    operators: [],
    rules: [],               // [{rule, window_seconds}] from the first operator
    sort: { key: 'rule0', dir: -1 },
    sources: [],
    centerTs: null,
    status: null,
    activity: [],
    token: sessionStorage.getItem('cadmon.token') || '',
    tokenWanted: null,       // a Promise resolved when the token form is submitted
    muted: localStorage.getItem('cadmon.muted') === '1',
    audio: null,
    cards: new Map(),        // alert_id -> card element (kept so that a half-typed ack survives)
    expanded: new Set(),     // alert_ids whose callbacks are all shown
  };

  const $ = (id) => document.getElementById(id);

  // ---- small DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  // ---- formatting (local time) --------------------------------------------------------------

  function parseTs(ts) {
    const ms = ts ? Date.parse(ts) : NaN;
    return Number.isNaN(ms) ? null : new Date(ms);
  }

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  function fmtTime(ts) {
    const date = parseTs(ts);
    if (!date) return '—';
    const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (sameDay(date, new Date())) return time;
    return date.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + time;
  }

  function fmtPercent(ratio) {
    if (typeof ratio !== 'number' || !Number.isFinite(ratio)) return '—';
    return Math.round(ratio * 100) + '%';
  }

  function fmtDuration(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
    if (seconds < 60) return (Math.round(seconds * 10) / 10) + ' s';
    if (seconds < 3600) return Math.round(seconds / 60) + ' min';
    const hours = seconds / 3600;
    return (Number.isInteger(hours) ? hours : hours.toFixed(1)) + ' h';
  }

  function fmtCount(n) {
    return typeof n === 'number' ? n.toLocaleString() : '—';
  }

  function operatorName(alert) {
    return alert.agency ? alert.agency + ' · ' + alert.operator : alert.operator;
  }

  // ---- HTTP with the bearer token -----------------------------------------------------------

  function withAuth(headers) {
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    return headers;
  }

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // Show the token form (once) and resolve when a token is given.
  function askToken(refused) {
    if (!state.tokenWanted) {
      state.tokenWanted = new Promise((resolve) => {
        const form = $('token-form');
        form.hidden = false;
        $('token-error').textContent = refused ? 'That token was refused.' : '';
        $('token-input').focus();
        form.onsubmit = (event) => {
          event.preventDefault();
          const token = $('token-input').value.trim();
          if (!token) return;
          state.token = token;
          sessionStorage.setItem('cadmon.token', token);
          form.hidden = true;
          $('token-input').value = '';
          state.tokenWanted = null;
          resolve();
        };
      });
    }
    return state.tokenWanted;
  }

  async function api(path, options) {
    const init = Object.assign({ cache: 'no-store' }, options || {});
    init.headers = withAuth(Object.assign({ Accept: 'application/json' }, init.headers || {}));
    const response = await fetch(path, init);
    if (response.status === 401) {
      const hadToken = Boolean(state.token);
      askToken(hadToken);
      throw new HttpError(401, 'needs a token');
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const why = body && typeof body.error === 'string' ? body.error : 'HTTP ' + response.status;
      throw new HttpError(response.status, why);
    }
    return body;
  }

  // ---- the board model ----------------------------------------------------------------------

  function sortCallbacks(callbacks) {
    // Not yet called back first, then newest first (as cadmond orders them).
    return callbacks.slice().sort((a, b) => {
      if (Boolean(a.called_back) !== Boolean(b.called_back)) return a.called_back ? 1 : -1;
      return (Date.parse(b.ts) || 0) - (Date.parse(a.ts) || 0);
    });
  }

  function mergeCallbacks(alert, callbacks) {
    const byId = new Map(alert.callbacks.map((c) => [c.call_id, c]));
    for (const callback of callbacks || []) {
      const known = byId.get(callback.call_id);
      if (known) known.called_back = known.called_back || callback.called_back;
      else {
        const copy = Object.assign({}, callback);
        alert.callbacks.push(copy);
        byId.set(copy.call_id, copy);
      }
    }
  }

  const FIGURE_KEYS = ['position', 'rule', 'severity', 'window_seconds', 'calls', 'premature', 'called_back',
    'ratio', 'center_ratio', 'p_value', 'expected', 'evidence', 'threshold', 'own_factor', 'why',
    'late', 'late_seconds', 'message', 'limit', 'evicted', 'source', 'receiver'];

  function replaceBoard(open, seq) {
    const board = new Map();
    for (const line of open || []) {
      const alert = Object.assign({}, line);
      alert.callbacks = (line.callbacks || []).map((c) => Object.assign({}, c));
      alert.escalated = Boolean(state.board.get(line.alert_id) && state.board.get(line.alert_id).escalated);
      board.set(alert.alert_id, alert);
    }
    state.board = board;
    state.appliedSeq = seq || 0;
    // a board older than the newest notice logged: cadmond numbers from 1 again (a new state
    // directory), so the activity list takes the new run's notices from here
    if (state.loggedSeq > state.appliedSeq) state.loggedSeq = state.appliedSeq;
  }

  // Apply one notice to the board. Returns true when it is a new firing or escalation.
  function applyNotice(line) {
    if (typeof line.seq !== 'number' || line.seq <= state.appliedSeq) return false;
    state.appliedSeq = line.seq;
    const known = state.board.get(line.alert_id);
    switch (line.alert) {
      case 'firing': {
        const alert = Object.assign({}, line, { opened_ts: line.ts, escalated: false });
        alert.callbacks = (line.callbacks || []).map((c) => Object.assign({}, c));
        state.board.set(line.alert_id, alert);
        return true;
      }
      case 'escalated':
      case 'update': {
        const alert = known || Object.assign({ opened_ts: line.ts, callbacks: [] }, line);
        for (const key of FIGURE_KEYS) if (key in line) alert[key] = line[key];
        alert.seq = line.seq;
        alert.ts = line.ts;
        if (line.alert === 'escalated') alert.escalated = true;
        mergeCallbacks(alert, line.callbacks);
        state.board.set(line.alert_id, alert);
        return line.alert === 'escalated';
      }
      case 'acknowledged':
        if (known && !known.acknowledged) known.acknowledged = { by: line.by, note: line.note || '', ts: line.ts };
        return false;
      case 'resolved':
        state.board.delete(line.alert_id);
        return false;
      default:
        return false;
    }
  }

  function describeNotice(line) {
    if (line.notice) return line.notice;
    const who = line.type === 'system' ? (line.system || 'system') : operatorName(line);
    switch (line.alert) {
      case 'firing':
        return line.type === 'system' ? (line.message || who) :
          who + ': ' + line.premature + ' of ' + line.calls + ' calls premature (' + (line.rule || '') + ')';
      case 'escalated':
        return who + ': escalated to ' + (line.severity || '') +
          (line.reason === 'unacknowledged' ? ' — nobody acknowledged' : ' (' + (line.rule || '') + ')');
      case 'update': {
        const callbacks = line.callbacks || [];
        const rang = callbacks.filter((c) => c.called_back).length;
        const more = callbacks.length - rang;
        return who + ': ' + [more ? more + ' more to call back' : '', rang ? rang + ' caller' + (rang === 1 ? '' : 's') + ' rang again' : '']
          .filter(Boolean).join(', ');
      }
      case 'acknowledged':
        return who + ': acknowledged by ' + line.by + (line.note ? ' — “' + line.note + '”' : '') +
          (line.repeat ? ' (again)' : '');
      case 'resolved':
        return who + ': resolved';
      default:
        return who + ': ' + line.alert;
    }
  }

  function logActivity(line, missed) {
    if (typeof line.seq === 'number') {
      if (line.seq <= state.loggedSeq) return;
      state.loggedSeq = line.seq;
    }
    state.activity.unshift({ line, missed, text: describeNotice(line) });
    state.activity.length = Math.min(state.activity.length, ACTIVITY_MAX);
  }

  // ---- sound (WebAudio, no media file) --------------------------------------------------------

  function audioContext() {
    if (!state.audio) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      state.audio = new Context();
    }
    if (state.audio.state === 'suspended') state.audio.resume().catch(() => {});
    return state.audio;
  }

  function chime(severity) {
    if (state.muted) return;
    const context = audioContext();
    if (!context) return;
    const tones = severity === 'critical' ? [880, 660, 880, 660] : [660, 880];
    const start = context.currentTime + 0.02;
    tones.forEach((frequency, i) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      const at = start + i * 0.18;
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    });
  }

  function renderMute() {
    const button = $('mute');
    button.textContent = state.muted ? 'Sound off' : 'Sound on';
    button.setAttribute('aria-pressed', state.muted ? 'true' : 'false');
    button.classList.toggle('muted', state.muted);
    button.title = state.muted ? 'New alerts are silent: click to hear them' : 'Click to silence new alerts';
  }

  // ---- the Server-Sent Events stream --------------------------------------------------------

  // Parse SSE bytes (text/event-stream) as they come; calls onEvent({type, data, id}).
  function sseParser(onEvent) {
    const decoder = new TextDecoder();
    let buffer = '';
    let data = [];
    let type = '';
    let id = null;
    function line(text) {
      if (text === '') {
        if (data.length) onEvent({ type: type || 'message', data: data.join('\n'), id });
        data = [];
        type = '';
        id = null;
        return;
      }
      if (text[0] === ':') return;
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') type = value;
      else if (field === 'id' && !value.includes('\0')) id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) state.retryMs = Number(value);
    }
    return (chunk, done) => {
      buffer += decoder.decode(chunk || new Uint8Array(), { stream: !done });
      let start = 0;
      for (;;) {
        const match = /\r\n|\r|\n/g;
        match.lastIndex = start;
        const found = match.exec(buffer);
        if (!found) break;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (found[0] === '\r' && found.index === buffer.length - 1 && !done) break;
        line(buffer.slice(start, found.index));
        start = found.index + found[0].length;
      }
      buffer = buffer.slice(start);
    };
  }

  function onStreamEvent(event) {
    let payload;
    try {
      payload = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (event.type === 'board') {
      replaceBoard(payload.open, payload.seq);
      if (state.resuming) finishResume();
      renderAll();
      return;
    }
    if (event.id !== null) state.lastEventId = event.id;
    if (event.type === 'notice') {
      logActivity(payload, state.resuming);
      renderActivity();
      return;
    }
    if (state.resuming) {
      if (typeof payload.seq === 'number' && payload.seq > state.loggedSeq) {
        state.missedCount++;
        if (payload.alert === 'firing' || payload.alert === 'escalated') state.missedAlarm = true;
        state.missed.push(payload);
        if (state.missed.length > MISSED_MAX) state.missed.shift();
      }
      logActivity(payload, true);
      applyNotice(payload);
      return; // rendered with the board that follows the replay
    }
    logActivity(payload, false);
    if (applyNotice(payload)) chime(payload.severity);
    renderBoard();
    renderBanner();
    renderActivity();
    scheduleFigures(300);
  }

  function finishResume() {
    state.resuming = false;
    const box = $('missed');
    const missed = state.missed;
    const count = state.missedCount;
    const alarm = state.missedAlarm;
    state.missed = [];
    state.missedCount = 0;
    state.missedAlarm = false;
    const since = state.disconnectedAt;
    const away = since ? Math.round((Date.now() - since.getTime()) / 1000) : 0;
    box.replaceChildren();
    box.append(el('strong', { text: 'Reconnected' }),
      ' at ' + fmtTime(new Date().toISOString()) + ' after ' + fmtDuration(away) + ' away — ' +
      (count === 0 ? 'nothing was missed.' :
        count + ' notice' + (count === 1 ? '' : 's') + ' while disconnected' +
        (count > missed.length ? ', the last ' + missed.length + ':' : ':')));
    if (missed.length) {
      const list = el('ul', { class: 'missed-list' });
      for (const line of missed) list.append(el('li', {}, el('span', { class: 'when', text: fmtTime(line.ts) }), ' ', describeNotice(line)));
      box.append(list);
    }
    box.append(el('button', { type: 'button', class: 'button-quiet', text: 'Dismiss', onclick: () => { box.hidden = true; } }));
    box.hidden = false;
    if (alarm) chime('critical');
  }

  function setConnected(connected) {
    if (state.connected === connected) return;
    state.connected = connected;
    if (!connected) state.disconnectedAt = new Date();
    renderConnection();
    renderBanner();
  }

  async function readStream(response, controller) {
    const reader = response.body.getReader();
    const feed = sseParser(onStreamEvent);
    let watchdog = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        clearTimeout(watchdog);
        if (done) {
          feed(null, true);
          return;
        }
        watchdog = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
        feed(value, false);
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The last RECENT_NOTICES notices for "Recent notices"; the stream then resumes after them.
  async function loadRecent() {
    try {
      // the board's seq is the newest notice (GET /api/status is the admin's)
      const board = await api('/api/alerts/open');
      const since = Math.max(0, (board.seq || 0) - RECENT_NOTICES);
      const page = await api('/api/alerts?since=' + since);
      for (const line of page.alerts || []) logActivity(line, false);
      if (page.alerts && page.alerts.length) state.lastEventId = String(page.alerts[page.alerts.length - 1].seq);
      renderActivity();
    } catch (e) {
      // the stream starts at the board then
    }
  }

  async function streamForever() {
    await loadRecent();
    for (;;) {
      const controller = new AbortController();
      try {
        const headers = withAuth({ Accept: 'text/event-stream' });
        if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
        const response = await fetch('/api/stream', { headers, cache: 'no-store', signal: controller.signal });
        if (response.status === 401) {
          const hadToken = Boolean(state.token);
          setConnected(false);
          await askToken(hadToken);
          continue;
        }
        if (!response.ok || !response.body) throw new HttpError(response.status, 'HTTP ' + response.status);
        state.resuming = state.everConnected && Boolean(state.lastEventId);
        state.missed = [];
        state.missedCount = 0;
        state.missedAlarm = false;
        state.everConnected = true;
        setConnected(true);
        refreshFigures();
        await readStream(response, controller);
      } catch (e) {
        // the network, a restart of cadmond, or a silent stream: try again below
      }
      state.resuming = false;
      setConnected(false);
      await sleep(state.retryMs);
    }
  }

  // ---- figures: operators, sources, status --------------------------------------------------

  let figuresTimer = null;
  function scheduleFigures(ms) {
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(refreshFigures, ms);
  }

  async function refreshFigures() {
    clearTimeout(figuresTimer);
    // GET /api/status needs the admin role: a viewer's or supervisor's page goes without it
    const [operators, sources, status] = await Promise.allSettled([
      api('/api/operators'), api('/api/sources'), api('/api/status')]);
    if (operators.status === 'fulfilled' && sources.status === 'fulfilled') {
      state.operators = operators.value.operators || [];
      state.sources = sources.value.sources || [];
      state.centerTs = sources.value.center_ts;
      state.status = status.status === 'fulfilled' ? status.value : null;
      renderFigures();
      renderBanner();
    } // else: shown by the connection pill; the next round tries again
    figuresTimer = setTimeout(refreshFigures, FIGURES_EVERY_MS);
  }

  // ---- rendering: connection, banner --------------------------------------------------------

  function renderConnection() {
    const pill = $('connection');
    if (state.connected) {
      pill.className = 'pill pill-live';
      pill.textContent = 'Live';
      pill.title = 'Receiving cadmond\'s notices as they happen';
    } else if (state.everConnected) {
      pill.className = 'pill pill-down';
      pill.textContent = 'Reconnecting…';
      pill.title = 'Lost the stream at ' + fmtTime(state.disconnectedAt && state.disconnectedAt.toISOString()) +
        '; what happens meanwhile is shown once reconnected';
    } else {
      pill.className = 'pill pill-wait';
      pill.textContent = 'Connecting…';
    }
  }

  const SYSTEM_TITLES = {
    feed_silent: 'Feed silent',
    clock_ahead: 'Clock ahead',
    clock_behind: 'Clock behind',
    events_too_late: 'Feed events too late',
    sender_restarted: 'Feed restarted',
    seq_rejected: 'Feed numbering jumped',
    feed_rejecting: 'Feed lines refused',
    source_departs: 'Feed out of the baseline',
    limit: 'Limit reached',
    journal_degraded: 'Journal degraded',
    state_incomplete: 'Recovered with gaps',
    receiver_down: 'Receiver down',
  };

  function renderBanner() {
    const items = [];
    for (const alert of state.board.values()) {
      if (alert.type !== 'system') continue;
      items.push({ severity: alert.severity || 'warning', title: SYSTEM_TITLES[alert.system] || alert.system || 'System',
        text: alert.message || '', since: alert.opened_ts || alert.ts });
    }
    if (state.status && state.status.degraded && !items.some((i) => i.title === SYSTEM_TITLES.journal_degraded))
      items.push({ severity: 'critical', title: SYSTEM_TITLES.journal_degraded, text: state.status.degraded_reason || '' });
    if (!state.connected && state.everConnected)
      items.unshift({ severity: 'critical', title: 'No connection to cadmond',
        text: 'Alerts are not reaching this screen. Reconnecting every ' + Math.round(state.retryMs / 1000) + ' s…',
        since: state.disconnectedAt && state.disconnectedAt.toISOString() });
    const banner = $('banner');
    banner.replaceChildren();
    banner.hidden = items.length === 0;
    const critical = items.some((i) => i.severity === 'critical');
    banner.className = 'banner ' + (critical ? 'banner-critical' : 'banner-warning');
    for (const item of items) {
      banner.append(el('div', { class: 'banner-item sev-' + item.severity },
        el('span', { class: 'banner-icon', 'aria-hidden': 'true', text: '!' }),
        el('strong', { text: item.title }),
        el('span', { class: 'banner-text', text: item.text }),
        item.since ? el('span', { class: 'banner-since', text: 'since ' + fmtTime(item.since) }) : null));
    }
    const operatorsOpen = [...state.board.values()].filter((a) => a.type !== 'system').length;
    document.title = (items.length || operatorsOpen ? '(' + (operatorsOpen + items.length) + ') ' : '') + 'cadmon — floor supervision';
  }

  // ---- rendering: the board -----------------------------------------------------------------

  const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };

  function boardOrder(a, b) {
    const ackA = a.acknowledged ? 1 : 0;
    const ackB = b.acknowledged ? 1 : 0;
    if (ackA !== ackB) return ackA - ackB;
    const sev = (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3);
    if (sev) return sev;
    return (Date.parse(a.opened_ts) || 0) - (Date.parse(b.opened_ts) || 0);
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (e) {
        // fall through to the selection copy
      }
    }
    const area = el('textarea', { class: 'offscreen', readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  function callbackRow(callback) {
    const number = callback.ani || '';
    const button = number ?
      el('button', { type: 'button', class: 'ani', title: 'Copy ' + number, 'data-ani': number, text: number }) :
      el('span', { class: 'ani ani-unknown', text: 'number unknown' });
    if (number) {
      button.addEventListener('click', async () => {
        const ok = await copyText(number);
        button.classList.add(ok ? 'copied' : 'copy-failed');
        button.dataset.feedback = ok ? 'Copied' : 'Copy failed';
        setTimeout(() => {
          button.classList.remove('copied', 'copy-failed');
        }, 1500);
      });
    }
    return el('li', { class: 'callback' + (callback.called_back ? ' done' : ''), 'data-call-id': callback.call_id },
      button,
      el('span', { class: 'cb-when', title: 'answered; talk time' }, fmtTime(callback.ts),
        el('span', { class: 'cb-talk', text: ' · ' + fmtDuration(callback.talk_seconds) })),
      el('span', { class: 'cb-state', text: callback.called_back ? 'rang again' : 'call back' }));
  }

  function ackForm(alert) {
    const by = el('input', { type: 'text', name: 'by', class: 'ack-by', maxlength: '64', required: true,
      placeholder: 'Your name', autocomplete: 'name', 'aria-label': 'Acknowledged by' });
    by.value = localStorage.getItem('cadmon.by') || '';
    const note = el('input', { type: 'text', name: 'note', class: 'ack-note', maxlength: '256',
      placeholder: 'Note (e.g. calling back)', 'aria-label': 'Note' });
    const submit = el('button', { type: 'submit', class: 'ack-submit', text: 'Acknowledge' });
    const error = el('span', { class: 'form-error ack-error', role: 'alert' });
    const form = el('form', { class: 'ack-form' }, by, note, submit, error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      audioContext(); // a click: the browser lets sound start from here on
      const name = by.value.trim();
      if (!name) {
        error.textContent = 'Enter your name.';
        by.focus();
        return;
      }
      localStorage.setItem('cadmon.by', name);
      submit.disabled = true;
      error.textContent = '';
      try {
        const notice = await api('/api/alerts/' + encodeURIComponent(alert.alert_id) + '/ack', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ by: name, note: note.value }),
        });
        // Shown at once; the stream brings the same notice (seq) to the board and the list.
        const known = state.board.get(alert.alert_id);
        if (notice && known && !known.acknowledged)
          known.acknowledged = { by: notice.by, note: notice.note || '', ts: notice.ts };
        renderBoard();
      } catch (e) {
        if (e.status === 403) error.textContent = 'Acknowledging needs the supervisor role.';
        else if (e.status === 401) error.textContent = 'Sign in with a token first (above).';
        else if (e.status === 404) error.textContent = 'This alert is no longer open.';
        else error.textContent = e.message || 'Could not acknowledge.';
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function figure(label, value, extraClass) {
    return el('div', { class: 'fig' + (extraClass ? ' ' + extraClass : '') },
      el('span', { class: 'fig-value', text: value }), el('span', { class: 'fig-label', text: label }));
  }

  function fmtDecimal(value, decimals) {
    return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : '—';
  }

  // A sequential rule's evidence against the evidence an alert needs: a bar whose mark is the
  // threshold, at two thirds of its width (so a little past it still shows).
  function evidenceBar(evidence, threshold, compact) {
    const scale = threshold > 0 ? threshold * 1.5 : 1;
    const fill = Math.max(0, Math.min(1, (evidence || 0) / scale));
    const over = threshold > 0 && evidence >= threshold;
    const text = fmtDecimal(evidence, 1) + ' / ' + fmtDecimal(threshold, 1);
    // CSSOM, not a style attribute: the page's CSP has no 'unsafe-inline'
    const bar = el('div', { class: 'ev-fill' });
    bar.style.width = (fill * 100).toFixed(1) + '%';
    const mark = el('div', { class: 'ev-mark' });
    mark.style.left = (threshold > 0 ? 100 / 1.5 : 100).toFixed(1) + '%';
    return el('div', { class: 'evidence' + (over ? ' over' : '') + (compact ? ' compact' : ''),
      title: 'Evidence ' + fmtDecimal(evidence, 2) + '; an alert needs ' + fmtDecimal(threshold, 2) },
    el('div', { class: 'ev-track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': String(threshold),
      'aria-valuenow': String(evidence), 'aria-label': 'evidence' }, bar, mark),
    el('span', { class: 'ev-text', text: (compact ? '' : 'evidence ') + text }));
  }

  function figuresOf(alert) {
    const sequential = typeof alert.evidence === 'number';
    if (!sequential) {
      return [el('div', { class: 'card-figures' },
        figure('premature', fmtCount(alert.premature) + ' / ' + fmtCount(alert.calls), 'fig-main'),
        figure('ratio', fmtPercent(alert.ratio), 'fig-bad'),
        figure('center', fmtPercent(alert.center_ratio)),
        figure('window', fmtDuration(alert.window_seconds)))];
    }
    return [
      alert.why ? el('p', { class: 'why', text: alert.why }) : null,
      el('div', { class: 'card-figures' },
        figure('premature', fmtCount(alert.premature) + ' / ' + fmtCount(alert.calls), 'fig-main'),
        figure('expected', fmtDecimal(alert.expected, 1), 'fig-expected'),
        figure('own factor', '×' + fmtDecimal(alert.own_factor, 2)),
        figure('rang back', fmtCount(alert.called_back))),
      evidenceBar(alert.evidence, alert.threshold, false),
    ];
  }

  function operatorCardBody(alert) {
    const callbacks = sortCallbacks(alert.callbacks || []);
    const waiting = callbacks.filter((c) => !c.called_back).length;
    return [
      ...figuresOf(alert),
      el('div', { class: 'callbacks-head' },
        el('strong', { text: 'Call back' }),
        el('span', { class: 'muted', text: waiting + ' waiting' + (callbacks.length > waiting ? ', ' + (callbacks.length - waiting) + ' rang again' : '') })),
      callbacks.length ? callbackList(alert, callbacks) : el('p', { class: 'muted', text: 'No callbacks.' }),
    ];
  }

  // The first CALLBACKS_SHOWN callbacks (the wall: all), and a button for the others.
  function callbackList(alert, callbacks) {
    const expanded = state.wall || state.expanded.has(alert.alert_id) || callbacks.length <= CALLBACKS_SHOWN + 1;
    const list = el('ul', { class: 'callbacks' }, ...(expanded ? callbacks : callbacks.slice(0, CALLBACKS_SHOWN)).map(callbackRow));
    if (callbacks.length <= CALLBACKS_SHOWN + 1 || state.wall) return list;
    const toggle = el('button', { type: 'button', class: 'button-quiet more',
      text: expanded ? 'Show fewer' : 'Show all ' + callbacks.length + ' callbacks' });
    toggle.addEventListener('click', () => {
      if (state.expanded.has(alert.alert_id)) state.expanded.delete(alert.alert_id);
      else state.expanded.add(alert.alert_id);
      renderBoard();
    });
    return el('div', {}, list, toggle);
  }

  // What a system alert is about: its source, limit, receiver.
  function systemDetails(alert) {
    const details = [['source', alert.source], ['limit', alert.limit], ['evicted', alert.limit ? fmtCount(alert.evicted) : null],
      ['receiver', alert.receiver]].filter(([, value]) => value !== undefined && value !== null);
    if (!details.length) return null;
    return el('dl', { class: 'system-details' }, ...details.flatMap(([label, value]) => [
      el('dt', { text: label }), el('dd', { class: 'sd-' + label, text: String(value) })]));
  }

  function systemCardBody(alert) {
    return [el('p', { class: 'system-message', text: alert.message || '' }), systemDetails(alert)];
  }

  function renderCard(alert) {
    let card = state.cards.get(alert.alert_id);
    if (!card) {
      card = el('article', { class: 'card', 'data-alert-id': alert.alert_id },
        el('header', { class: 'card-head' }), el('div', { class: 'card-body' }), el('footer', { class: 'card-foot' }));
      card.ackForm = ackForm(alert);
      state.cards.set(alert.alert_id, card);
    }
    const severity = alert.severity || 'info';
    card.className = 'card sev-' + severity + (alert.acknowledged ? ' acked' : '') + (alert.type === 'system' ? ' system' : '');
    const head = card.querySelector('.card-head');
    const title = alert.type === 'system' ? (SYSTEM_TITLES[alert.system] || alert.system) : alert.operator;
    head.replaceChildren(
      el('div', { class: 'badges' },
        el('span', { class: 'badge sev-' + severity, text: severity.toUpperCase() }),
        alert.escalated ? el('span', { class: 'badge badge-escalated', text: 'ESCALATED' }) : null),
      el('div', { class: 'who' },
        el('span', { class: 'operator', text: title }),
        alert.type === 'system' ? null : el('span', { class: 'where' },
          [alert.agency, alert.position ? 'position ' + alert.position : null].filter(Boolean).join(' · '))),
      el('div', { class: 'rule' },
        el('span', { class: 'rule-name', text: alert.type === 'system' ? (alert.source || alert.limit || alert.receiver || '') : alert.rule }),
        el('span', { class: 'opened', text: 'since ' + fmtTime(alert.opened_ts || alert.ts) })));
    card.querySelector('.card-body').replaceChildren(...(alert.type === 'system' ? systemCardBody(alert) : operatorCardBody(alert)));
    const foot = card.querySelector('.card-foot');
    if (alert.acknowledged) {
      const ack = alert.acknowledged;
      foot.replaceChildren(el('div', { class: 'ack-done' },
        el('span', { class: 'check', 'aria-hidden': 'true', text: '✓' }),
        el('span', {}, 'Acknowledged by ', el('strong', { class: 'ack-by-name', text: ack.by }), ' at ' + fmtTime(ack.ts)),
        ack.note ? el('span', { class: 'ack-note-text', text: '“' + ack.note + '”' }) : null));
    } else if (!state.wall) {
      if (foot.firstChild !== card.ackForm) foot.replaceChildren(card.ackForm);
    } else {
      foot.replaceChildren(el('span', { class: 'unacked', text: 'Not acknowledged' }));
    }
    return card;
  }

  // Every open alert on the board, system alerts (also in the banner) as cards too.
  function renderBoard() {
    const alerts = [...state.board.values()].sort(boardOrder);
    const boardEl = $('board');
    const wanted = new Set(alerts.map((a) => a.alert_id));
    for (const [id, card] of state.cards) {
      if (!wanted.has(id)) {
        card.remove();
        state.cards.delete(id);
      }
    }
    alerts.forEach((alert, i) => {
      const card = renderCard(alert);
      if (boardEl.children[i] !== card) boardEl.insertBefore(card, boardEl.children[i] || null);
    });
    $('board-count').textContent = String(alerts.length);
    $('board-count').classList.toggle('count-alert', alerts.some((a) => a.severity === 'critical' && !a.acknowledged));
    $('board-empty').hidden = alerts.length > 0;
  }

  // ---- rendering: operators -----------------------------------------------------------------

  function sparkline(history) {
    const width = 120;
    const height = 28;
    const node = svg('svg', { class: 'spark', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    if (!history || !Array.isArray(history.calls) || history.calls.length === 0) return node;
    const n = history.calls.length;
    const max = Math.max(1, ...history.calls);
    const slot = width / n;
    const bar = Math.max(1, slot - 2);
    const title = svg('title');
    title.textContent = 'Calls (grey) and premature hangups (red), ' + fmtDuration(history.bucket_seconds) +
      ' a bar, over the last ' + fmtDuration(history.bucket_seconds * n) + ' to ' + fmtTime(history.end_ts);
    node.append(title);
    node.append(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'spark-base' }));
    for (let i = 0; i < n; i++) {
      const calls = history.calls[i] || 0;
      const premature = (history.premature && history.premature[i]) || 0;
      const x = i * slot + 1;
      const h = Math.round((calls / max) * (height - 2));
      const p = Math.round((premature / max) * (height - 2));
      if (h > 0) node.append(svg('rect', { x, y: height - 1 - h, width: bar, height: h, class: 'spark-calls' }));
      if (p > 0) node.append(svg('rect', { x, y: height - 1 - p, width: bar, height: p, class: 'spark-premature' }));
    }
    return node;
  }

  function sortValue(operator, key) {
    if (key === 'operator') return (operator.agency || '') + '\u0000' + operator.operator;
    if (key === 'position') return operator.position || '';
    if (key === 'last') return Date.parse(operator.last_active_ts) || 0;
    const match = /^rule(\d+)$/.exec(key);
    if (match) {
      const rule = (operator.rules || [])[Number(match[1])] || {};
      if (typeof rule.evidence === 'number') return rule.evidence * 1e6 + (rule.run_premature || 0);
      // by ratio, then by premature hangups (3 of 4 above 1 of 1)
      return (rule.calls ? rule.ratio : 0) * 1e6 + (rule.premature || 0);
    }
    return 0;
  }

  function sortedOperators() {
    const { key, dir } = state.sort;
    return state.operators.slice().sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return order ? order * dir : sortValue(a, 'operator').localeCompare(sortValue(b, 'operator'));
    });
  }

  function renderOperatorsHead() {
    const columns = [['operator', 'Call-taker', '', ''], ['position', 'Position', '', '']];
    state.rules.forEach((rule, i) => {
      if (rule.sequential) {
        columns.push(['rule' + i, rule.rule + ' · evidence',
          'The evidence now against what an alert needs (the bar\'s mark), then the premature hangups of the run ' +
          '(the calls since the evidence last left 0) against what the rest of the agency expected of them', 'num']);
        return;
      }
      columns.push(['rule' + i, rule.rule + ' · ' + fmtDuration(rule.window_seconds),
        'Premature hangups of calls in the rule\'s window (' + fmtDuration(rule.window_seconds) +
        '), their ratio, and the rest of the center\'s ratio', 'num']);
    });
    columns.push(['history', 'Recent hours', 'Calls (grey) and premature hangups (red) over the longest rule window', 'spark-col']);
    columns.push(['last', 'Last call', '', 'num']);
    const row = $('operators-head');
    row.replaceChildren();
    for (const [key, label, title, cls] of columns) {
      const sortable = key !== 'history';
      const active = state.sort.key === key;
      const th = el('th', { class: (cls || '') + (sortable ? ' sortable' : '') + (active ? ' sorted' : ''), title: title || null,
        'aria-sort': active ? (state.sort.dir > 0 ? 'ascending' : 'descending') : null, 'data-key': key },
        label, active ? el('span', { class: 'arrow', text: state.sort.dir > 0 ? ' ▲' : ' ▼' }) : null);
      if (sortable) {
        th.tabIndex = 0;
        const choose = () => {
          state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : (key === 'operator' || key === 'position' ? 1 : -1) };
          renderOperators();
        };
        th.addEventListener('click', choose);
        th.addEventListener('keydown', (event) => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            choose();
          }
        });
      }
      row.append(th);
    }
  }

  function sequentialCell(rule) {
    const high = rule.threshold > 0 && rule.evidence >= rule.threshold / 2;
    return el('td', { class: 'num rule-cell seq-cell' + (high ? ' high' : '') },
      evidenceBar(rule.evidence, rule.threshold, true),
      el('span', { class: 'rc-run', title: 'the run: calls since the evidence last left 0' },
        rule.run_calls ? fmtCount(rule.run_premature) + ' of ' + fmtCount(rule.run_calls) + ' premature' : 'in line'),
      el('span', { class: 'rc-expected', text: rule.run_calls ? fmtDecimal(rule.expected, 1) + ' expected' : '' }));
  }

  function ruleCell(rule) {
    if (typeof rule.evidence === 'number') return sequentialCell(rule);
    const high = rule.calls > 0 && rule.premature > 0 && rule.ratio >= Math.max(rule.center_ratio * 2, 0.2);
    return el('td', { class: 'num rule-cell' + (high ? ' high' : '') },
      el('span', { class: 'rc-counts', title: rule.premature + ' premature of ' + rule.calls + ' calls' },
        fmtCount(rule.premature) + ' / ' + fmtCount(rule.calls)),
      el('span', { class: 'rc-ratio', text: rule.calls ? fmtPercent(rule.ratio) : '—' }),
      el('span', { class: 'rc-center', title: 'the rest of the center', text: 'center ' + fmtPercent(rule.center_ratio) }));
  }

  // An operator's latest state (an operator_state line, e.g. from NENA i3), with its time.
  const OPERATOR_STATES = { logged_on: 'logged on', logged_off: 'logged off', available: 'available',
    not_available: 'not available' };
  function operatorState(operator) {
    if (!operator.state) return null;
    return el('span', { class: 'op-state', 'data-state': operator.state,
      title: 'since ' + fmtTime(operator.state_since), text: OPERATOR_STATES[operator.state] || operator.state });
  }

  function renderOperators() {
    const first = state.operators[0];
    state.rules = first ? (first.rules || []).map((r) => ({ rule: r.rule, window_seconds: r.window_seconds,
      sequential: typeof r.evidence === 'number' })) : [];
    if (!/^(operator|position|last|rule\d+)$/.test(state.sort.key) || (state.sort.key.startsWith('rule') && !state.rules.length))
      state.sort = { key: 'operator', dir: 1 };
    renderOperatorsHead();
    const body = $('operators-body');
    body.replaceChildren();
    for (const operator of sortedOperators()) {
      const cells = [
        el('td', { class: 'op-name' }, el('span', { class: 'operator', text: operator.operator }),
          operator.agency ? el('span', { class: 'agency', text: operator.agency }) : null,
          operator.open_alert_id ? el('span', { class: 'badge-mini', text: 'ALERT' }) : null,
          operatorState(operator)),
        el('td', { text: operator.position || '—' }),
      ];
      for (const rule of operator.rules || []) cells.push(ruleCell(rule));
      cells.push(el('td', { class: 'spark-col' }, sparkline(operator.history)));
      cells.push(el('td', { class: 'num muted', text: fmtTime(operator.last_active_ts) }));
      body.append(el('tr', { class: operator.open_alert_id ? 'has-alert' : '', 'data-operator': operator.operator }, ...cells));
    }
    $('operators-count').textContent = String(state.operators.length);
    $('operators-empty').hidden = state.operators.length > 0;
  }

  // ---- rendering: the center ----------------------------------------------------------------

  function renderCenter() {
    const status = state.status || {};
    let calls = 0;
    let premature = 0;
    for (const operator of state.operators) {
      const rule = (operator.rules || [])[0];
      if (rule) {
        calls += rule.calls;
        premature += rule.premature;
      }
    }
    const firstRule = state.rules[0];
    const figures = $('figures');
    figures.replaceChildren();
    const add = (label, value, cls) => figures.append(el('div', { class: 'center-fig' + (cls ? ' ' + cls : '') },
      el('dt', { text: label }), el('dd', { text: value })));
    add('Premature' + (firstRule ? ' (' + fmtDuration(firstRule.window_seconds) + ')' : ''),
      calls ? fmtPercent(premature / calls) + ' · ' + premature + ' of ' + calls : '—');
    // without /api/status (not an admin): what the board and the operators say
    const openAlerts = state.status ? status.open_alerts : state.board.size;
    add('Open alerts', fmtCount(openAlerts), openAlerts ? 'fig-alert' : '');
    add('Open calls', fmtCount(status.open_calls));
    add('Call-takers', fmtCount(state.status ? status.operators : state.operators.length));
    add('Feeds connected', fmtCount(status.feeds), status.feeds === 0 ? 'fig-warn' : '');
    add('Consoles', fmtCount(status.subscribers));
    add('Events', fmtCount(status.events));
    add('Rejected lines', fmtCount(status.rejected), status.rejected ? 'fig-warn' : '');
    const body = $('sources-body');
    body.replaceChildren();
    for (const source of state.sources) {
      const lagSeconds = (source.lag_ms || 0) / 1000;
      body.append(el('tr', {},
        el('td', { class: 'source-name', text: source.source }),
        el('td', { text: fmtTime(source.newest_ts) }),
        el('td', { class: 'num' + (lagSeconds >= 60 ? ' bad' : ''), text: lagSeconds ? fmtDuration(lagSeconds) : '0 s' }),
        el('td', { class: 'num', text: fmtCount(source.events) }),
        el('td', { class: 'num' + (source.too_late ? ' bad' : ''), text: fmtCount((source.late || 0) + (source.too_late || 0)) })));
    }
    $('sources-empty').hidden = state.sources.length > 0;
    $('center-clock').textContent = state.centerTs ? 'Center clock ' + fmtTime(state.centerTs) : '';
    $('version').textContent = status.version ? 'cadmond ' + status.version : 'cadmond';
  }

  function renderFigures() {
    renderOperators();
    renderCenter();
  }

  function renderActivity() {
    const list = $('activity');
    list.replaceChildren();
    for (const item of state.activity) {
      const line = item.line;
      list.append(el('li', { class: 'act act-' + (line.alert || 'notice') + (item.missed ? ' act-missed' : '') },
        el('span', { class: 'when', text: fmtTime(line.ts) }),
        el('span', { class: 'what', text: item.text }),
        item.missed ? el('span', { class: 'tag', text: 'while away' }) : null));
    }
  }

  function renderAll() {
    renderBoard();
    renderBanner();
    renderActivity();
  }

  // ---- start --------------------------------------------------------------------------------

  function start() {
    document.body.classList.toggle('wall', state.wall);
    $('zone').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
    renderMute();
    $('mute').addEventListener('click', () => {
      state.muted = !state.muted;
      localStorage.setItem('cadmon.muted', state.muted ? '1' : '0');
      renderMute();
      if (!state.muted) chime('info');
    });
    // Browsers start sound only after a gesture: the first click anywhere allows it.
    document.addEventListener('click', () => audioContext(), { once: true });
    renderConnection();
    renderAll();
    streamForever();
    setInterval(() => {
      renderConnection();
      if (state.sources.length) renderCenter();
    }, 15000);
  }

  start();
})();
