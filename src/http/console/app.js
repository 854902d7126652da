// Kalfka's web console: a hand-written script served by the broker (no framework, no build
// step). It reads and changes the broker only through the JSON API under /api/v1.
'use strict';

// ---------- helpers ----------

/** Calls the JSON API; rejects with the broker's message (and Kafka error name). */
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch('/api/v1' + path, init);
  let data = null;
  try { data = await resp.json(); } catch (_) { data = null; }
  if (!resp.ok) {
    const msg = (data && data.error) || (resp.status + ' ' + resp.statusText);
    const err = new Error(data && data.error_name ? msg + ' (' + data.error_name + ')' : msg);
    err.code = data && data.code;
    throw err;
  }
  return data;
}

/** Builds an element: h('td', {class: 'num'}, 'text', child, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const enc = encodeURIComponent;
const fmtNum = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));
function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : Math.round(n)) + ' ' + u[i];
}
function fmtMs(ms) {
  if (ms === null || ms === undefined || ms === '') return '—';
  ms = Number(ms);
  if (ms < 0) return 'forever';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
}
const fmtTime = (ms) => (ms === null || ms < 0 ? '—' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ''));

function alertBox(msg) { return h('div', { class: 'alert', role: 'alert' }, msg); }
function noteBox(msg) { return h('div', { class: 'note', role: 'status' }, msg); }

/** Shows `node` in the message slot `slot` (replacing what was there). */
function show(slot, node) { slot.replaceChildren(...(node ? [node] : [])); }

/** Asks for confirmation in a modal dialog; resolves true on Confirm. */
function confirmDialog(text, action) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = action || 'Confirm';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}

/** A sortable table: columns [{key, label, num, render}]; rows re-rendered on sort. */
function sortableTable(columns, rows, opts) {
  opts = opts || {};
  let sortKey = opts.sortKey || columns[0].key;
  let asc = true;
  const tbody = h('tbody');
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col', 'aria-sort': 'none', 'data-key': c.key },
    c.sortable === false ? c.label : h('button', { onclick: () => { if (sortKey === c.key) asc = !asc; else { sortKey = c.key; asc = true; } draw(); } }, c.label)))));
  const table = h('table', { 'data-table': opts.name || null }, thead, tbody);
  let data = rows;
  function draw() {
    const filtered = opts.filter ? data.filter(opts.filter) : data;
    const sorted = filtered.slice().sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
      return asc ? c : -c;
    });
    for (const th of thead.querySelectorAll('th')) th.setAttribute('aria-sort', th.dataset.key === sortKey ? (asc ? 'ascending' : 'descending') : 'none');
    tbody.replaceChildren(...sorted.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.render ? c.render(r) : fmtCell(r[c.key], c))))));
    if (!sorted.length) tbody.append(h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, opts.empty || 'Nothing here.')));
  }
  table.update = (rows2) => { data = rows2; draw(); };
  table.redraw = draw;
  draw();
  return table;
}
function fmtCell(v, c) { return c.num ? fmtNum(v) : (v === null || v === undefined ? '—' : String(v)); }

// ---------- bytes: base64 values shown as text, pretty JSON or hex ----------

function b64bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function render(b64, mode) {
  if (b64 === null || b64 === undefined) return h('span', { class: 'muted' }, 'null');
  const bytes = b64bytes(b64);
  if (mode === 'hex') return h('pre', {}, Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' '));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (mode === 'json') {
    try { return h('pre', {}, JSON.stringify(JSON.parse(text), null, 2)); } catch (_) { /* not JSON */ }
  }
  return h('pre', {}, text);
}

// ---------- routing ----------

const view = document.getElementById('view');
let timers = [];
function every(ms, fn) { timers.push(setInterval(fn, ms)); }
function stopTimers() { timers.forEach(clearInterval); timers = []; }

async function route() {
  stopTimers();
  const parts = (location.hash.replace(/^#\/?/, '') || '').split('/').map(decodeURIComponent);
  const page = parts[0] || 'overview';
  for (const a of document.querySelectorAll('header nav a')) {
    const active = a.dataset.nav === page;
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  view.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    if (page === 'overview') await overview();
    else if (page === 'topics' && parts[1]) await topicDetail(parts[1], parts[2] || 'partitions');
    else if (page === 'topics') await topics();
    else if (page === 'groups' && parts[1]) await groupDetail(parts[1]);
    else if (page === 'groups') await groups();
    else if (page === 'transactions') await transactions();
    else view.replaceChildren(h('h1', {}, 'Not found'));
  } catch (e) {
    view.replaceChildren(h('h1', {}, 'Error'), alertBox(e.message));
  }
}
window.addEventListener('hashchange', () => { route(); view.focus(); });

// ---------- overview ----------

async function overview() {
  const c = await api('GET', '/cluster');
  document.getElementById('status').textContent = 'Kalfka ' + c.version + ' · node ' + c.node_id;
  const card = (k, v, small) => h('div', { class: 'card' }, h('div', { class: 'k' }, k), h('div', { class: 'v' + (small ? ' small' : ''), 'data-card': k }, v));
  const uptime = card('Uptime', fmtMs(c.uptime_ms));
  const disk = card('Disk used', fmtBytes(c.disk_bytes));
  const canvas = h('canvas', { width: 1200, height: 180, role: 'img', 'aria-label': 'Messages in and bytes in/out per second' });
  const now = h('p', { class: 'legend' });
  view.replaceChildren(
    h('h1', {}, 'Overview'),
    h('div', { class: 'cards' },
      card('Version', c.version), uptime, card('Cluster id', c.cluster_id, true),
      card('Kafka listener', c.listeners.kafka || '—', true), card('Advertised', c.listeners.advertised, true),
      card('HTTP', c.listeners.http, true), card('Data dir', c.memory ? '(in memory)' : c.data_dir, true),
      card('Topics', fmtNum(c.topics)), card('Partitions', fmtNum(c.partitions)), card('Groups', fmtNum(c.groups)),
      card('Connections', fmtNum(c.connections)), disk),
    h('h2', {}, 'Traffic (per second, last 2 minutes)'), now, canvas);
  const points = [];
  let last = { time_ms: c.time_ms, messages_in: c.messages_in, bytes_in: c.bytes_in, bytes_out: c.bytes_out };
  const started = Date.now() - c.uptime_ms;
  const tick = async () => {
    let s;
    try { s = await api('GET', '/stats'); } catch (_) { return; }
    const dt = Math.max(1, s.time_ms - last.time_ms) / 1000;
    points.push({ m: (s.messages_in - last.messages_in) / dt, bi: (s.bytes_in - last.bytes_in) / dt, bo: (s.bytes_out - last.bytes_out) / dt });
    if (points.length > 60) points.shift();
    last = s;
    uptime.querySelector('.v').textContent = fmtMs(Date.now() - started);
    disk.querySelector('.v').textContent = fmtBytes(s.disk_bytes);
    const p = points[points.length - 1];
    now.replaceChildren(
      h('span', {}, h('i', { style: 'background:#2456c8' }), 'messages in: ', h('b', { 'data-rate': 'messages_in' }, p.m.toFixed(1) + '/s')),
      h('span', {}, h('i', { style: 'background:#067647' }), 'bytes in: ', h('b', {}, fmtBytes(p.bi) + '/s')),
      h('span', {}, h('i', { style: 'background:#c4320a' }), 'bytes out: ', h('b', {}, fmtBytes(p.bo) + '/s')));
    chart(canvas, points);
  };
  await tick();
  every(2000, tick);
}

/** Draws the three series, each scaled to its own maximum. */
function chart(canvas, points) {
  const g = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  g.clearRect(0, 0, W, H);
  g.setLineDash([]);
  g.lineWidth = 1;
  g.strokeStyle = '#e4e7ec';
  for (let y = 0; y <= 4; y++) { g.beginPath(); g.moveTo(0, 10 + y * (H - 20) / 4); g.lineTo(W, 10 + y * (H - 20) / 4); g.stroke(); }
  // Messages last and dashed: each series is scaled to its own maximum, so they may overlap.
  for (const [key, color, dash] of [['bi', '#067647', []], ['bo', '#c4320a', []], ['m', '#2456c8', [6, 4]]]) {
    const max = Math.max(1, ...points.map((p) => p[key]));
    g.strokeStyle = color; g.lineWidth = 2; g.setLineDash(dash); g.beginPath();
    points.forEach((p, i) => {
      const x = (W / 59) * (i + 60 - points.length);
      const y = H - 10 - (p[key] / max) * (H - 20);
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
  }
}

// ---------- topics ----------

async function topics() {
  const msg = h('div');
  const filter = h('input', { type: 'search', placeholder: 'Filter topics', 'aria-label': 'Filter topics', name: 'filter' });
  const showInternal = h('input', { type: 'checkbox', 'aria-label': 'Show internal topics' });
  const rates = {};
  let prev = null;
  const table = sortableTable([
    { key: 'name', label: 'Topic', render: (t) => h('a', { href: '#/topics/' + enc(t.name) }, t.name) },
    { key: 'partitions', label: 'Partitions', num: true },
    { key: 'records', label: 'Messages', num: true },
    { key: 'size_bytes', label: 'Size', num: true, render: (t) => fmtBytes(t.size_bytes) },
    { key: 'retention_ms', label: 'Retention', render: (t) => fmtMs(t.retention_ms) },
    { key: 'cleanup_policy', label: 'Cleanup' },
    { key: 'rate', label: 'Msgs/s', num: true, render: (t) => (t.rate || 0).toFixed(1) },
    { key: 'actions', label: '', sortable: false, render: (t) => h('button', { class: 'danger', 'aria-label': 'Delete topic ' + t.name, onclick: () => del(t.name) }, 'Delete') },
  ], [], {
    name: 'topics',
    empty: 'No topics.',
    filter: (t) => (showInternal.checked || !t.internal) && t.name.toLowerCase().includes(filter.value.toLowerCase()),
  });
  filter.addEventListener('input', () => table.redraw());
  showInternal.addEventListener('change', () => table.redraw());
  async function load() {
    const data = await api('GET', '/topics');
    const now = Date.now();
    for (const t of data.topics) {
      if (prev && prev.list[t.name] !== undefined) rates[t.name] = (t.messages_in - prev.list[t.name]) / Math.max(1, (now - prev.at) / 1000);
      t.rate = rates[t.name] || 0;
    }
    prev = { at: now, list: Object.fromEntries(data.topics.map((t) => [t.name, t.messages_in])) };
    table.update(data.topics);
  }
  async function del(name) {
    if (!(await confirmDialog('Delete topic "' + name + '" and all its records? This cannot be undone.', 'Delete topic'))) return;
    try { await api('DELETE', '/topics/' + enc(name)); show(msg, noteBox('Deleted topic ' + name + '.')); await load(); } catch (e) { show(msg, alertBox(e.message)); }
  }
  const name = h('input', { name: 'name', required: true, placeholder: 'orders', 'aria-label': 'Topic name' });
  const parts = h('input', { name: 'partitions', type: 'number', min: 1, value: '1', 'aria-label': 'Partitions' });
  const configs = h('input', { name: 'configs', placeholder: 'retention.ms=86400000, cleanup.policy=compact', size: 40, 'aria-label': 'Configs' });
  const create = h('form', { class: 'inline', 'aria-label': 'Create topic', onsubmit: async (ev) => {
    ev.preventDefault();
    const cfg = {};
    for (const pair of configs.value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      if (i < 1) { show(msg, alertBox('Configs are name=value pairs separated by commas: ' + pair)); return; }
      cfg[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
    }
    try {
      await api('POST', '/topics', { name: name.value.trim(), partitions: Number(parts.value) || undefined, configs: cfg });
      show(msg, noteBox('Created topic ' + name.value.trim() + '.'));
      name.value = ''; configs.value = '';
      await load();
    } catch (e) { show(msg, alertBox(e.message)); }
  } },
  h('label', {}, 'Name', name), h('label', {}, 'Partitions', parts), h('label', {}, 'Configs (optional)', configs), h('button', { type: 'submit' }, 'Create topic'));
  view.replaceChildren(h('h1', {}, 'Topics'), h('h2', {}, 'Create a topic'), create, msg,
    h('div', { class: 'row' }, h('label', {}, 'Filter', filter), h('label', { style: 'flex-direction:row;align-items:center;gap:.3rem' }, showInternal, 'internal topics')), table);
  await load();
  every(3000, () => load().catch(() => {}));
}

async function topicDetail(name, tab) {
  const t = await api('GET', '/topics/' + enc(name));
  const tabs = ['partitions', 'messages', 'produce', 'configs', 'producers'];
  const labels = { partitions: 'Partitions', messages: 'Messages', produce: 'Produce', configs: 'Configs', producers: 'Producers' };
  const bar = h('div', { class: 'tabs', role: 'tablist' }, tabs.map((x) => h('button', { role: 'tab', 'aria-selected': String(x === tab), onclick: () => { location.hash = '#/topics/' + enc(name) + '/' + x; } }, labels[x])));
  const body = h('section', { role: 'tabpanel' });
  view.replaceChildren(h('h1', {}, h('a', { href: '#/topics' }, 'Topics'), ' / ', name),
    h('p', { class: 'muted' }, fmtNum(t.partitions) + ' partitions · ' + fmtNum(t.records) + ' messages · ' + fmtBytes(t.size_bytes) + ' · id ' + t.topic_id), bar, body);
  if (tab === 'partitions') partitionsTab(t, body);
  else if (tab === 'messages') messagesTab(t, body);
  else if (tab === 'produce') produceTab(t, body);
  else if (tab === 'configs') configsTab(t, body);
  else if (tab === 'producers') await producersTab(t, body);
}

function partitionsTab(t, body) {
  const msg = h('div');
  const count = h('input', { type: 'number', name: 'count', min: 1, value: String(t.partitions + 1), 'aria-label': 'New partition count' });
  const form = h('form', { class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    try { await api('POST', '/topics/' + enc(t.name) + '/partitions', { count: Number(count.value) }); route(); } catch (e) { show(msg, alertBox(e.message)); }
  } }, h('label', {}, 'Partition count', count), h('button', { type: 'submit' }, 'Add partitions'));
  body.append(sortableTable([
    { key: 'partition', label: 'Partition', num: true },
    { key: 'log_start_offset', label: 'Log start', num: true },
    { key: 'high_watermark', label: 'High watermark', num: true },
    { key: 'last_stable_offset', label: 'Last stable', num: true },
    { key: 'size_bytes', label: 'Size', num: true, render: (p) => fmtBytes(p.size_bytes) },
    { key: 'segments', label: 'Segments', num: true },
    { key: 'messages_in', label: 'Msgs in', num: true },
    { key: 'messages_out', label: 'Msgs out', num: true },
  ], t.partition_details, { name: 'partitions' }), h('h2', {}, 'Add partitions'), form, msg);
}

function messagesTab(t, body) {
  const msg = h('div');
  const partition = h('select', { name: 'partition', 'aria-label': 'Partition' }, h('option', { value: 'all' }, 'All'), t.partition_details.map((p) => h('option', { value: String(p.partition) }, String(p.partition))));
  const from = h('select', { name: 'from', 'aria-label': 'Start at' }, ['end', 'beginning', 'offset', 'time'].map((x) => h('option', { value: x }, x)));
  const offset = h('input', { name: 'offset', type: 'number', min: 0, placeholder: 'offset', 'aria-label': 'Offset', size: 8 });
  const time = h('input', { name: 'time', type: 'datetime-local', step: 1, 'aria-label': 'Time (UTC)' });
  const limit = h('select', { name: 'limit', 'aria-label': 'Page size' }, ['20', '50', '100', '500'].map((x) => h('option', { value: x, selected: x === '50' }, x)));
  const key = h('input', { name: 'key', placeholder: 'exact key', 'aria-label': 'Key filter' });
  const contains = h('input', { name: 'contains', placeholder: 'substring', 'aria-label': 'Substring filter' });
  const format = h('select', { name: 'format', 'aria-label': 'Show values as' }, ['text', 'json', 'hex'].map((x) => h('option', { value: x }, x === 'json' ? 'pretty JSON' : x)));
  const prevBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, '← Previous');
  const nextBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next →');
  const out = h('div');
  let page = null;
  let seq = 0;
  async function load(cursor) {
    const mine = ++seq;
    const q = new URLSearchParams({ from: from.value, limit: limit.value });
    if (partition.value !== 'all') q.set('partitions', partition.value);
    if (from.value === 'offset') q.set('offset', offset.value || '0');
    if (from.value === 'time') q.set('timestamp', String(Date.parse((time.value || '1970-01-01T00:00:00') + 'Z')));
    if (cursor) q.set('cursor', cursor);
    if (key.value) q.set('key', key.value);
    if (contains.value) q.set('contains', contains.value);
    let got;
    try { got = await api('GET', '/topics/' + enc(t.name) + '/messages?' + q); } catch (e) { if (mine === seq) show(msg, alertBox(e.message)); return; }
    if (mine !== seq) return; // a later request replaced this one
    page = got;
    show(msg, null);
    draw();
  }
  function draw() {
    if (!page) return;
    const mode = format.value;
    prevBtn.disabled = !page.cursors.some((c) => c.start > c.log_start_offset);
    nextBtn.disabled = !page.cursors.some((c) => c.next < c.high_watermark);
    const rows = page.messages.map((m) => h('tr', { 'data-offset': m.offset, 'data-partition': m.partition },
      h('td', { class: 'num' }, m.partition), h('td', { class: 'num' }, m.offset), h('td', {}, fmtTime(m.timestamp)),
      h('td', { 'data-field': 'key' }, render(m.key, mode === 'hex' ? 'hex' : 'text')), h('td', { 'data-field': 'value' }, render(m.value, mode)),
      h('td', {}, h('div', { class: 'hdr' }, m.headers.map((x) => h('code', {}, x.key + '=', x.value === null ? 'null' : new TextDecoder().decode(b64bytes(x.value))))))));
    out.replaceChildren(h('p', { class: 'muted', 'data-count': page.messages.length }, page.messages.length + ' messages · ' + page.cursors.map((c) => 'p' + c.partition + ' ' + c.start + '–' + c.next + ' of [' + c.log_start_offset + ', ' + c.high_watermark + ')').join(' · ')),
      h('table', { 'data-table': 'messages' }, h('thead', {}, h('tr', {}, ['Partition', 'Offset', 'Timestamp (UTC)', 'Key', 'Value', 'Headers'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No messages here.')))));
  }
  prevBtn.addEventListener('click', () => page && load(page.cursors.map((c) => c.partition + ':' + c.prev).join(',')));
  nextBtn.addEventListener('click', () => page && load(page.cursors.map((c) => c.partition + ':' + c.next).join(',')));
  format.addEventListener('change', draw);
  const form = h('form', { class: 'inline', 'aria-label': 'Browse messages', onsubmit: (ev) => { ev.preventDefault(); load(); } },
    h('label', {}, 'Partition', partition), h('label', {}, 'Start at', from), h('label', {}, 'Offset', offset), h('label', {}, 'Time (UTC)', time),
    h('label', {}, 'Page size', limit), h('label', {}, 'Key', key), h('label', {}, 'Contains', contains), h('label', {}, 'Show as', format),
    h('button', { type: 'submit' }, 'Load'), prevBtn, nextBtn);
  body.append(form, msg, out);
  load();
}

function produceTab(t, body) {
  const msg = h('div');
  const partition = h('select', { name: 'partition', 'aria-label': 'Partition' }, h('option', { value: '' }, 'by key (default partitioner)'), t.partition_details.map((p) => h('option', { value: String(p.partition) }, String(p.partition))));
  const key = h('input', { name: 'key', 'aria-label': 'Key' });
  const value = h('textarea', { name: 'value', rows: 5, cols: 60, 'aria-label': 'Value' });
  const headers = h('input', { name: 'headers', placeholder: 'name=value, name2=value2', size: 40, 'aria-label': 'Headers' });
  body.append(h('form', { 'aria-label': 'Produce a record', onsubmit: async (ev) => {
    ev.preventDefault();
    const hs = headers.value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const i = s.indexOf('=');
      return i < 0 ? { key: s, value: null } : { key: s.slice(0, i), value: s.slice(i + 1) };
    });
    const rec = { key: key.value === '' ? null : key.value, value: value.value, headers: hs };
    if (partition.value !== '') rec.partition = Number(partition.value);
    try {
      const r = await api('POST', '/topics/' + enc(t.name) + '/messages', rec);
      show(msg, noteBox('Produced to partition ' + r.partition + ' at offset ' + r.offset + '.'));
    } catch (e) { show(msg, alertBox(e.message)); }
  } }, h('div', { class: 'row' }, h('label', {}, 'Partition', partition), h('label', {}, 'Key', key), h('label', {}, 'Headers', headers)),
  h('div', { class: 'row' }, h('label', {}, 'Value', value)), h('button', { type: 'submit' }, 'Produce')), msg);
}

function configsTab(t, body) {
  const msg = h('div');
  const rows = t.configs.map((c) => {
    const input = c.allowed && c.allowed.length && !c.name.endsWith('policy')
      ? h('select', { name: c.name, 'aria-label': c.name }, c.allowed.map((a) => h('option', { value: a, selected: a === c.value }, a)))
      : h('input', { name: c.name, value: c.value, 'aria-label': c.name, size: 18 });
    const save = h('button', { type: 'button', 'data-save': c.name, onclick: async () => {
      try {
        await api('PUT', '/topics/' + enc(t.name) + '/configs', { set: { [c.name]: input.value } });
        show(msg, noteBox('Set ' + c.name + ' = ' + input.value + '.'));
        const fresh = await api('GET', '/topics/' + enc(t.name));
        t.configs = fresh.configs; body.replaceChildren(); configsTab(t, body); show(body.querySelector('div'), noteBox('Set ' + c.name + ' = ' + input.value + '.'));
      } catch (e) { show(msg, alertBox(e.message)); }
    } }, 'Save');
    const reset = c.source === 'topic' ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
      try {
        await api('PUT', '/topics/' + enc(t.name) + '/configs', { delete: [c.name] });
        const fresh = await api('GET', '/topics/' + enc(t.name));
        t.configs = fresh.configs; body.replaceChildren(); configsTab(t, body);
      } catch (e) { show(msg, alertBox(e.message)); }
    } }, 'Reset') : null;
    return h('tr', { 'data-config': c.name }, h('td', {}, h('code', {}, c.name), h('div', { class: 'doc' }, c.doc)),
      h('td', {}, input), h('td', {}, h('span', { class: 'state' }, c.source)), h('td', {}, h('code', {}, c.default), c.broker_value !== null ? h('div', { class: 'doc' }, 'broker: ' + c.broker_value) : null),
      h('td', {}, h('div', { class: 'row', style: 'margin:0' }, save, reset)));
  });
  body.append(msg, h('table', { 'data-table': 'configs' }, h('thead', {}, h('tr', {}, ['Config', 'Value', 'Source', 'Default', ''].map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)));
}

async function producersTab(t, body) {
  const data = await api('GET', '/producers?topic=' + enc(t.name));
  const rows = [];
  for (const p of data.partitions) for (const s of p.producers) rows.push(Object.assign({ partition: p.partition }, s));
  body.append(h('p', { class: 'muted' }, 'Idempotent and transactional producers each partition remembers (as DescribeProducers answers).'),
    sortableTable([
      { key: 'partition', label: 'Partition', num: true },
      { key: 'producer_id', label: 'Producer id', num: true },
      { key: 'producer_epoch', label: 'Epoch', num: true },
      { key: 'last_sequence', label: 'Last sequence', num: true },
      { key: 'last_timestamp', label: 'Last write (UTC)', render: (r) => fmtTime(r.last_timestamp) },
      { key: 'current_txn_start_offset', label: 'Open txn from', num: true, render: (r) => (r.current_txn_start_offset < 0 ? '—' : fmtNum(r.current_txn_start_offset)) },
    ], rows, { name: 'producers', empty: 'No producers.' }));
}

// ---------- groups ----------

async function groups() {
  const data = await api('GET', '/groups');
  const filter = h('input', { type: 'search', placeholder: 'Filter groups', 'aria-label': 'Filter groups' });
  const table = sortableTable([
    { key: 'group_id', label: 'Group', render: (g) => h('a', { href: '#/groups/' + enc(g.group_id) }, g.group_id) },
    { key: 'group_type', label: 'Protocol' },
    { key: 'state', label: 'State', render: (g) => h('span', { class: 'state ' + g.state }, g.state) },
    { key: 'protocol', label: 'Assignor' },
    { key: 'members', label: 'Members', num: true },
    { key: 'total_lag', label: 'Lag', num: true },
  ], data.groups, { name: 'groups', empty: 'No groups.', filter: (g) => g.group_id.toLowerCase().includes(filter.value.toLowerCase()) });
  filter.addEventListener('input', () => table.redraw());
  view.replaceChildren(h('h1', {}, 'Consumer groups'), h('div', { class: 'row' }, h('label', {}, 'Filter', filter)), table);
  every(3000, async () => { try { table.update((await api('GET', '/groups')).groups); } catch (_) { /* keep the last view */ } });
}

async function groupDetail(id) {
  const summary = h('p', { class: 'muted' });
  const members = sortableTable([
    { key: 'member_id', label: 'Member' },
    { key: 'client_id', label: 'Client id' },
    { key: 'client_host', label: 'Host' },
    { key: 'assignment', label: 'Assigned partitions', sortable: false, render: (m) => m.assignment.map((a) => a.topic + ': ' + a.partitions.join(',')).join('; ') || '—' },
  ], [], { name: 'members', empty: 'No active members.' });
  const offsetsBody = h('tbody');
  const offsetsFoot = h('tfoot');
  const offsets = h('table', { 'data-table': 'offsets' }, h('thead', {}, h('tr', {}, ['Topic', 'Partition', 'Committed', 'High watermark', 'Lag'].map((x, i) => h('th', { scope: 'col', class: i ? 'num' : null }, x)))), offsetsBody, offsetsFoot);
  const msg = h('div');
  const plan = h('div');
  let g = null;
  async function load() {
    g = await api('GET', '/groups/' + enc(id));
    summary.replaceChildren('Protocol ', h('b', {}, g.group_type), ' · state ', h('span', { class: 'state ' + g.state, 'data-state': g.state }, g.state),
      ' · assignor ' + (g.protocol || '—') + ' · generation ' + g.generation + ' · ' + g.members.length + ' members');
    members.update(g.members);
    let total = 0;
    offsetsBody.replaceChildren(...g.offsets.map((o) => { total += o.lag || 0; return h('tr', { 'data-tp': o.topic + '-' + o.partition },
      h('td', {}, o.topic), h('td', { class: 'num' }, o.partition), h('td', { class: 'num' }, fmtNum(o.committed_offset)), h('td', { class: 'num' }, fmtNum(o.high_watermark)), h('td', { class: 'num', 'data-lag': '' }, fmtNum(o.lag))); }));
    offsetsFoot.replaceChildren(h('tr', {}, h('td', { colspan: 4 }, 'Total lag'), h('td', { class: 'num', 'data-total-lag': '' }, fmtNum(total))));
  }
  const topicSel = h('select', { name: 'topic', 'aria-label': 'Topic to reset' });
  const to = h('select', { name: 'to', 'aria-label': 'Reset to' }, [['earliest', 'earliest'], ['latest', 'latest'], ['offset', 'offset'], ['timestamp', 'time (ms)'], ['shift', 'shift by']].map(([v, l]) => h('option', { value: v }, l)));
  const value = h('input', { name: 'value', type: 'number', placeholder: 'N', 'aria-label': 'Offset, time or shift', size: 10 });
  const request = (execute) => {
    const r = { to: to.value, execute };
    if (topicSel.value) r.topic = topicSel.value;
    if (value.value !== '') r.value = Number(value.value);
    return r;
  };
  const apply = h('button', { type: 'button', class: 'danger', disabled: true, onclick: async () => {
    try {
      const r = await api('POST', '/groups/' + enc(id) + '/reset-offsets', request(true));
      show(plan, null); show(msg, noteBox('Committed ' + r.plan.length + ' new offsets.')); apply.disabled = true; await load();
    } catch (e) { show(msg, alertBox(e.message)); }
  } }, 'Apply reset');
  const preview = h('button', { type: 'submit' }, 'Preview');
  const form = h('form', { class: 'inline', 'aria-label': 'Reset offsets', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/groups/' + enc(id) + '/reset-offsets', request(false));
      show(msg, r.state === 'Empty' || r.state === 'Dead' ? null : alertBox('The group is ' + r.state + ': offsets can only be reset while it has no active members.'));
      show(plan, h('table', { 'data-table': 'plan' }, h('thead', {}, h('tr', {}, ['Topic', 'Partition', 'Current', 'New'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, r.plan.map((p) => h('tr', {}, h('td', {}, p.topic), h('td', { class: 'num' }, p.partition), h('td', { class: 'num' }, fmtNum(p.current)), h('td', { class: 'num', 'data-new': '' }, fmtNum(p.new)))))));
      apply.disabled = false;
    } catch (e) { show(msg, alertBox(e.message)); }
  } }, h('label', {}, 'Topic', topicSel), h('label', {}, 'Reset to', to), h('label', {}, 'Value', value), preview, apply);
  const del = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!(await confirmDialog('Delete group "' + id + '" and its committed offsets?', 'Delete group'))) return;
    try { await api('DELETE', '/groups/' + enc(id)); location.hash = '#/groups'; } catch (e) { show(msg, alertBox(e.message)); }
  } }, 'Delete group');
  await load();
  const topicNames = [...new Set(g.offsets.map((o) => o.topic).concat(g.members.flatMap((m) => m.assignment.map((a) => a.topic))))].sort();
  topicSel.replaceChildren(h('option', { value: '' }, 'all committed topics'), topicNames.map((n) => h('option', { value: n }, n)));
  view.replaceChildren(h('h1', {}, h('a', { href: '#/groups' }, 'Consumer groups'), ' / ', id), summary,
    h('h2', {}, 'Members'), members, h('h2', {}, 'Committed offsets and lag'), offsets,
    h('h2', {}, 'Reset offsets'), h('p', { class: 'muted' }, 'Preview the new offsets, then apply them. The broker refuses while the group has active members.'), form, msg, plan,
    h('h2', {}, 'Delete'), del);
  every(2000, () => load().catch(() => {}));
}

// ---------- transactions and producers ----------

async function transactions() {
  const [tx, pr] = await Promise.all([api('GET', '/transactions'), api('GET', '/producers')]);
  const open = tx.transactions.filter((t) => t.age_ms !== null);
  const rows = [];
  for (const p of pr.partitions) for (const s of p.producers) rows.push(Object.assign({ topic: p.topic, partition: p.partition }, s));
  const parts = (t) => t.partitions.map((x) => x.topic + ': ' + x.partitions.join(',')).join('; ') || '—';
  view.replaceChildren(h('h1', {}, 'Transactions and producers'),
    h('h2', {}, 'Open transactions'),
    sortableTable([
      { key: 'transactional_id', label: 'Transactional id' },
      { key: 'state', label: 'State' },
      { key: 'age_ms', label: 'Age', num: true, render: (t) => fmtMs(t.age_ms) },
      { key: 'timeout_ms', label: 'Timeout', num: true, render: (t) => fmtMs(t.timeout_ms) },
      { key: 'producer_id', label: 'Producer id', num: true },
      { key: 'partitions', label: 'Partitions', sortable: false, render: parts },
    ], open, { name: 'open-transactions', empty: 'No open transactions.' }),
    h('h2', {}, 'All transactional ids'),
    sortableTable([
      { key: 'transactional_id', label: 'Transactional id' },
      { key: 'state', label: 'State' },
      { key: 'producer_id', label: 'Producer id', num: true },
      { key: 'producer_epoch', label: 'Epoch', num: true },
      { key: 'start_time_ms', label: 'Last started (UTC)', render: (t) => fmtTime(t.start_time_ms) },
    ], tx.transactions, { name: 'transactions', empty: 'No transactional ids.' }),
    h('h2', {}, 'Producers by partition'),
    sortableTable([
      { key: 'topic', label: 'Topic' },
      { key: 'partition', label: 'Partition', num: true },
      { key: 'producer_id', label: 'Producer id', num: true },
      { key: 'producer_epoch', label: 'Epoch', num: true },
      { key: 'last_sequence', label: 'Last sequence', num: true },
      { key: 'last_timestamp', label: 'Last write (UTC)', render: (r) => fmtTime(r.last_timestamp) },
      { key: 'current_txn_start_offset', label: 'Open txn from', num: true, render: (r) => (r.current_txn_start_offset < 0 ? '—' : fmtNum(r.current_txn_start_offset)) },
    ], rows, { name: 'all-producers', empty: 'No producers.' }));
  view.querySelector('h1').after(h('button', { type: 'button', class: 'secondary', onclick: () => route() }, 'Refresh'));
}

route();
