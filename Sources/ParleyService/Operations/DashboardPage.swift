/// The cluster dashboard served at `GET /admin/` (API.md §6): one self-contained page, inline CSS
/// and vanilla JavaScript, no external URL, shipped inside the binary.
///
/// The page itself carries no data. It asks for the admin token (or takes it from the URL fragment,
/// `/admin/#token=…[&user=42]`, which never reaches a server), keeps it in `sessionStorage`, and reads the
/// admin JSON routes with it, relative to `/admin/`, every 2.5 s: the nodes of the cluster, the
/// accounts online, a presence lookup, and kick/disable/enable for one account.
enum DashboardPage {
    /// What the page may load and where it may connect: itself only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Parley cluster</title>
<link rel="icon" href="data:,">
<style>
:root {
  --bg: #f5f6f8; --panel: #fff; --text: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #2563eb; --ok: #15803d; --warn: #b45309; --bad: #b91c1c; --badbg: #fdecec;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #12151b; --panel: #1b2029; --text: #e6e9ef; --muted: #98a2b3; --line: #2c3340;
          --accent: #60a5fa; --ok: #4ade80; --warn: #fbbf24; --bad: #f87171; --badbg: #3a1d1d; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: var(--panel);
         border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
header .spacer { flex: 1; }
#status { color: var(--muted); font-size: 13px; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px;
          margin-bottom: 18px; }
section h2 { font-size: 15px; margin: 0 0 12px; }
.error { background: var(--badbg); color: var(--bad); border: 1px solid var(--bad); border-radius: 6px;
         padding: 10px 14px; margin-bottom: 18px; white-space: pre-wrap; }
.totals { display: flex; gap: 16px; flex-wrap: wrap; }
.total { flex: 1; min-width: 160px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
         padding: 12px 16px; }
.total .value { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
.total .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; }
tr:last-child td { border-bottom: 0; }
.node-id { font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.serving { color: var(--ok); border: 1px solid var(--ok); }
.badge.draining { color: var(--warn); border: 1px solid var(--warn); }
.stale { color: var(--warn); }
.muted { color: var(--muted); }
form { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 0; }
input { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg);
        color: var(--text); }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel);
         color: var(--text); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
#result { margin-top: 12px; min-height: 1.5em; }
#result.failed { color: var(--bad); }
[hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>Parley cluster</h1>
  <span id="status">not connected</span>
  <span class="spacer"></span>
  <button id="forget" type="button" hidden>Forget token</button>
</header>
<main>
  <div id="error" class="error" role="alert" hidden></div>

  <section id="login">
    <h2>Admin token</h2>
    <form id="login-form">
      <input id="token" type="password" autocomplete="off" placeholder="PARLEY_ADMIN_TOKEN" size="40" required>
      <button class="primary" type="submit">Connect</button>
      <span class="muted">Kept in this tab only (sessionStorage).</span>
    </form>
  </section>

  <div id="dashboard" hidden>
    <div class="totals" style="margin-bottom:18px">
      <div class="total"><div class="label">Nodes</div><div class="value" id="total-nodes">–</div></div>
      <div class="total"><div class="label">Accounts online</div><div class="value" id="total-online">–</div></div>
      <div class="total"><div class="label">Draining</div><div class="value" id="total-draining">–</div></div>
    </div>

    <section>
      <h2>Nodes</h2>
      <table>
        <thead><tr>
          <th>Node</th><th>Address</th><th>Version</th><th>Uptime</th><th>Last heartbeat</th>
          <th class="num">Sockets</th><th>State</th>
        </tr></thead>
        <tbody id="nodes"><tr><td colspan="7" class="muted">loading…</td></tr></tbody>
      </table>
    </section>

    <section>
      <h2>Account</h2>
      <form id="account-form">
        <input id="user-id" type="number" min="1" step="1" placeholder="user id" required>
        <button class="primary" type="submit" data-action="presence">Look up presence</button>
        <button type="submit" data-action="kick">Kick</button>
        <button class="danger" type="submit" data-action="disable">Disable</button>
        <button type="submit" data-action="enable">Enable</button>
      </form>
      <div id="result" aria-live="polite"></div>
    </section>
  </div>
</main>
<script>
(() => {
  'use strict';
  const STORAGE_KEY = 'parley.adminToken';
  const PERIOD_MS = 2500;
  const $ = (id) => document.getElementById(id);

  let token = null;
  let timer = null;
  let generation = 0;   // bumped when the token changes: answers for an older token are dropped
  let skew = 0;         // the server's clock minus this browser's, when they differ by more than 2 s

  class Failure extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  // The URL fragment (never sent to a server) may carry the token and a user id to look up:
  // #token=…&user=42. It is read once and removed from the address bar.
  function takeFragment() {
    const read = (name) => {
      const match = new RegExp('(?:^#|&)' + name + '=([^&]*)').exec(location.hash);
      if (!match) return null;
      try { return decodeURIComponent(match[1]); } catch (_) { return match[1]; }
    };
    const taken = { token: read('token'), user: read('user') };
    if (taken.token || taken.user) history.replaceState(null, '', location.pathname + location.search);
    return taken;
  }

  function storedToken() {
    try { return sessionStorage.getItem(STORAGE_KEY); } catch (_) { return null; }
  }

  function store(value) {
    try {
      if (value) sessionStorage.setItem(STORAGE_KEY, value); else sessionStorage.removeItem(STORAGE_KEY);
    } catch (_) { /* storage disabled: the token lives in this page only */ }
  }

  async function call(method, path) {
    let response;
    try {
      response = await fetch(path, {
        method,
        cache: 'no-store',
        headers: { 'authorization': 'Bearer ' + token, 'accept': 'application/json', 'accept-language': 'en' },
      });
    } catch (error) {
      throw new Failure('Cannot reach the server: ' + error.message, 0);
    }
    const serverDate = Date.parse(response.headers.get('date') || '');
    if (!Number.isNaN(serverDate)) {
      const difference = serverDate - Date.now();
      skew = Math.abs(difference) > 2000 ? difference : 0;
    }
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON: described below */ }
    if (response.ok && body && body.msg === 'ok') return body.data;
    const text = body && typeof body.data === 'string' ? body.data : (response.statusText || 'unexpected answer');
    const code = body && body.code ? ', ' + body.code : '';
    throw new Failure(`${text} (HTTP ${response.status}${code})`, response.status);
  }

  // Formatting.
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    const pad = (n) => String(n).padStart(2, '0');
    if (d > 0) return `${d}d ${pad(h)}h ${pad(m)}m`;
    if (h > 0) return `${h}h ${pad(m)}m`;
    if (m > 0) return `${m}m ${pad(s % 60)}s`;
    return `${s}s`;
  }
  const now = () => Date.now() + skew;
  const localTime = (date) => date.toLocaleTimeString([], { hour12: false });

  function cell(text, className, title) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (title) td.title = title;
    return td;
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
  }

  function renderCluster(cluster) {
    const nodes = (cluster.nodes || []).slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
    $('total-nodes').textContent = nodes.length;
    $('total-online').textContent = cluster.online;
    $('total-draining').textContent = nodes.filter((n) => n.draining).length;
    const rows = nodes.map((node) => {
      const tr = document.createElement('tr');
      tr.dataset.nodeId = node.id;
      const started = new Date(node.started_at), seen = new Date(node.last_seen);
      const age = now() - seen.getTime();
      tr.append(
        cell(node.id, 'node-id mono'),
        cell(node.address, 'mono'),
        cell(node.version),
        cell(duration(now() - started.getTime()), null, 'started ' + started.toISOString()),
        cell(`${duration(age)} ago`, age > 5000 ? 'stale' : null, seen.toISOString()),
        cell(String(node.connections), 'num'),
      );
      const state = document.createElement('td');
      const badge = document.createElement('span');
      badge.className = 'badge ' + (node.draining ? 'draining' : 'serving');
      badge.textContent = node.draining ? 'draining' : 'serving';
      state.append(badge);
      tr.append(state);
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.append(cell('No live node is registered in Redis.', 'muted'));
      tr.firstChild.colSpan = 7;
      rows.push(tr);
    }
    $('nodes').replaceChildren(...rows);
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = generation;
    try {
      const cluster = await call('GET', 'cluster');
      if (mine !== generation) return;
      renderCluster(cluster);
      showError(null);
      $('status').textContent = `updated ${localTime(new Date())} · every ${PERIOD_MS / 1000} s`;
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401) {
        showError('The admin token was refused: ' + error.message + '\nEnter the token again.');
        signOut(false);
        return;
      }
      showError('Cannot read the cluster: ' + error.message);
      $('status').textContent = `failed at ${localTime(new Date())} · retrying`;
    }
    if (mine === generation) timer = setTimeout(refresh, PERIOD_MS);
  }

  function signIn(value) {
    token = value;
    generation += 1;
    store(value);
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('forget').hidden = false;
    $('status').textContent = 'connecting…';
    refresh();
  }

  function signOut(clearError) {
    token = null;
    generation += 1;
    clearTimeout(timer);
    store(null);
    $('login').hidden = false;
    $('dashboard').hidden = true;
    $('forget').hidden = true;
    $('status').textContent = 'not connected';
    if (clearError) showError(null);
    $('token').focus();
  }

  // The account panel: presence lookup, kick, disable, enable.
  function showResult(text, failed) {
    const result = $('result');
    result.textContent = text;
    result.className = failed ? 'failed' : '';
  }

  async function lookUp(id) {
    const presence = await call('GET', `presence/${id}`);
    if (!presence.online) return `User ${id} is offline.`;
    const since = new Date(presence.since);
    return `User ${id} is online on ${presence.node} since ${since.toLocaleString()} (${duration(now() - since.getTime())}).`;
  }

  const done = { kick: 'kicked', disable: 'disabled', enable: 'enabled' };

  async function accountAction(action) {
    const id = $('user-id').value.trim();
    if (!/^[1-9][0-9]*$/.test(id)) { showResult('A user id is a positive whole number.', true); return; }
    if (action === 'disable' && !confirm(`Disable user ${id}? Their session ends and their socket closes.`)) return;
    const buttons = document.querySelectorAll('#account-form button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      if (action === 'presence') {
        showResult(await lookUp(id), false);
      } else {
        await call('POST', `users/${id}/${action}`);
        showResult(`User ${id} ${done[action]} at ${localTime(new Date())}.`, false);
        refresh();
      }
    } catch (error) {
      showResult(`User ${id}: ${error.message}`, true);
      if (error.status === 401) signOut(false);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token').value.trim();
    if (value) { showError(null); signIn(value); }
  });
  $('account-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const action = event.submitter && event.submitter.dataset.action || 'presence';
    accountAction(action);
  });
  $('forget').addEventListener('click', () => signOut(true));
  function start(fragment) {
    if (fragment.token) signIn(fragment.token);
    if (fragment.user) $('user-id').value = fragment.user;
    if (fragment.user && token) accountAction('presence');
  }
  window.addEventListener('hashchange', () => start(takeFragment()));

  const fragment = takeFragment();
  if (!fragment.token) fragment.token = storedToken();
  start(fragment);
  if (!token) $('token').focus();
})();
</script>
</body>
</html>
"""#
}
