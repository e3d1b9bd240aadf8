// swarm web UI: polls the Locust-compatible API and draws the tables and charts.
// Plain JavaScript, no dependencies; every text from the server goes in through textContent.
'use strict';

(function () {
  const POLL_MS = 1000;
  // One hour of one-second samples per chart is plenty for a live view; the reports keep all.
  const MAX_POINTS = 3600;
  const STATE_LABELS = {
    ready: 'ready', spawning: 'ramping', running: 'running',
    stopping: 'stopping', stopped: 'stopped', cleanup: 'cleanup',
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  let state = 'ready';
  let activeTab = 'stats';
  let chartStart = null;
  let historySince = 0;
  let series = emptySeries();

  function emptySeries() {
    return { time: [], rps: [], fails: [], p50: [], p95: [], p99: [], cp99: [], users: [] };
  }

  // A failure's first/last seen (Unix seconds) in the reader's local time, as Locust's page.
  function fmtSeen(unix) {
    return typeof unix === 'number' ? new Date(unix * 1000).toLocaleString() : '';
  }

  function fmtMs(v) {
    if (typeof v !== 'number') return '';
    if (v >= 100) return String(Math.round(v));
    return v.toFixed(v >= 10 ? 1 : 2);
  }

  function fmtNum(v, digits) {
    return typeof v === 'number' ? v.toFixed(digits) : '';
  }

  function setMessage(text) {
    $('message').textContent = text;
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function fillTable(body, rows, columns) {
    const fragment = document.createDocumentFragment();
    for (const r of rows) {
      const tr = document.createElement('tr');
      for (const [get, cls] of columns) cell(tr, get(r), cls);
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
  }

  function renderStats(report) {
    fillTable($('stats-body'), report.stats || [], [
      [(r) => r.method || '', ''],
      [(r) => r.name, 'name'],
      [(r) => String(r.num_requests), 'num'],
      [(r) => String(r.num_failures), 'num'],
      [(r) => fmtMs(r.median_response_time), 'num'],
      [(r) => fmtMs(r['response_time_percentile_0.95']), 'num'],
      [(r) => fmtMs(r['response_time_percentile_0.99']), 'num'],
      [(r) => fmtMs(r.avg_response_time), 'num'],
      [(r) => fmtMs(r.min_response_time), 'num'],
      [(r) => fmtMs(r.max_response_time), 'num'],
      [(r) => String(Math.round(r.avg_content_length || 0)), 'num'],
      [(r) => fmtNum(r.current_rps, 1), 'num'],
      [(r) => fmtNum(r.current_fail_per_sec, 1), 'num'],
    ]);
    const rows = $('stats-body').rows;
    if (rows.length) rows[rows.length - 1].className = 'total';
    const errors = report.errors || [];
    fillTable($('failures-body'), errors, [
      [(e) => String(e.occurrences), 'num'],
      [(e) => e.method || '', ''],
      [(e) => e.name, 'name'],
      [(e) => e.error, ''],
      [(e) => fmtSeen(e.first_seen), ''],
      [(e) => fmtSeen(e.last_seen), ''],
    ]);
    $('failures-count').textContent = errors.length ? String(errors.length) : '';
  }

  function renderState(report) {
    state = report.state;
    const label = STATE_LABELS[state] || state;
    const badge = $('state');
    badge.textContent = label;
    badge.className = 'state state-' + state;
    $('user-count').textContent = String(report.user_count);
    $('current-rps').textContent = fmtNum(report.current_rps, 1);
    $('fail-ratio').textContent = Math.round((report.fail_ratio || 0) * 100) + '%';
    const live = state === 'spawning' || state === 'running';
    $('new-button').hidden = live || state === 'stopping';
    $('edit-button').hidden = !live;
    $('stop-button').hidden = !live;
    if (!live) $('edit-panel').hidden = true;
    if (live) $('start-panel').hidden = true;
  }

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  async function pollHistory() {
    const h = await getJson('stats/history?since=' + historySince);
    if (chartStart !== h.start_time) {
      // A new test (or a reset): its charts start empty.
      chartStart = h.start_time;
      series = emptySeries();
      if (historySince !== 0) {
        historySince = 0;
        return pollHistory();
      }
    }
    for (const row of h.history) {
      series.time.push(row.time);
      series.rps.push(row.current_rps);
      series.fails.push(row.current_fail_per_sec);
      series.p50.push(row['response_time_percentile_0.5']);
      series.p95.push(row['response_time_percentile_0.95']);
      series.p99.push(row['response_time_percentile_0.99']);
      series.cp99.push(row['corrected_response_time_percentile_0.99'] || 0);
      series.users.push(row.user_count);
      historySince = row.time;
    }
    for (const key of Object.keys(series)) {
      if (series[key].length > MAX_POINTS) series[key].splice(0, series[key].length - MAX_POINTS);
    }
    if (activeTab === 'charts') drawCharts();
  }

  async function pollExceptions() {
    const e = await getJson('exceptions');
    const rows = e.exceptions || [];
    fillTable($('exceptions-body'), rows, [
      [(x) => String(x.count), 'num'],
      [(x) => x.msg, ''],
      [(x) => x.traceback, ''],
      [(x) => x.nodes, ''],
    ]);
    $('exceptions-count').textContent = rows.length ? String(rows.length) : '';
  }

  async function pollOpen() {
    const o = await getJson('stats/open');
    const m = o.open_model || {};
    const rows = o.corrected || [];
    $('open-panel').hidden = !m.arrival && !rows.length && !m.late_iterations;
    let line = '';
    if (m.arrival) {
      line = 'Arrivals: target ' + fmtNum(m.target_rate, 2) + '/s, achieved ' +
        fmtNum(m.achieved_rate, 2) + '/s \u00b7 ' + m.iterations_started + ' started, ' +
        m.dropped_iterations + ' dropped \u00b7 pool ' + m.pool_size + ' users (' +
        m.busy_users + ' busy, max ' + m.max_users + ')';
    }
    if (m.late_iterations) line += (line ? ' \u00b7 ' : '') + m.late_iterations + ' late iterations';
    $('open-line').textContent = line;
    fillTable($('corrected-body'), rows, [
      [(r) => r.method || '', ''],
      [(r) => r.name, 'name'],
      [(r) => String(r.num_corrected), 'num'],
      [(r) => fmtMs(r.median), 'num'],
      [(r) => fmtMs(r.p95), 'num'],
      [(r) => fmtMs(r.p99), 'num'],
      [(r) => fmtMs(r.max), 'num'],
    ]);
    const body = $('corrected-body').rows;
    if (body.length) body[body.length - 1].className = 'total';
  }

  function showLoad() {
    const arrival = $('load').value === 'arrival';
    $('arrival-label').hidden = !arrival;
    $('users-label').hidden = arrival;
    $('rate-label').hidden = arrival;
    $('user_count').required = !arrival;
    $('spawn_rate').required = !arrival;
    $('arrival_rate').required = arrival;
  }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const report = await getJson('stats/requests');
      renderState(report);
      renderStats(report);
      await pollHistory();
      await pollExceptions();
      await pollOpen();
      setMessage('');
    } catch (err) {
      setMessage('Cannot reach swarm: ' + err.message);
    } finally {
      polling = false;
    }
  }

  // ---- charts: small SVG line charts, redrawn from the accumulated samples ----

  function svg(name, attrs, parent) {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    // Quarters of these are round numbers, so the four grid lines get round labels.
    for (const m of [1, 2, 4, 8, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function clock(unix) {
    return new Date(unix * 1000).toTimeString().slice(0, 8);
  }

  function drawChart(box, title, unit, lines) {
    const W = Math.max(box.clientWidth - 2, 320);
    const H = 230;
    const L = 64, R = 16, T = 34, B = 28;
    box.replaceChildren();
    const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title }, box);
    svg('text', { x: L, y: 18, class: 'chart-title' }, root).textContent = title;
    const t = series.time;
    const n = t.length;
    let max = 0;
    for (const l of lines) for (const v of l.values) if (v > max) max = v;
    max = niceMax(max);
    const span = n > 1 ? t[n - 1] - t[0] : 1;
    const x = (i) => L + (n > 1 ? ((t[i] - t[0]) / (span || 1)) * (W - L - R) : 0);
    const y = (v) => T + (H - T - B) * (1 - v / max);
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }, root);
      svg('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, root)
        .textContent = String(Math.round(v * 100) / 100) + unit;
    }
    if (n > 0) {
      svg('text', { x: L, y: H - 8, class: 'axis' }, root).textContent = clock(t[0]);
      svg('text', { x: W - R, y: H - 8, class: 'axis', 'text-anchor': 'end' }, root).textContent = clock(t[n - 1]);
    } else {
      svg('text', { x: L + 8, y: T + 40, class: 'axis' }, root).textContent = 'No samples yet: start a test.';
    }
    let lx = W - R;
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i];
      if (n > 0) {
        const pts = l.values.map((v, j) => x(j).toFixed(1) + ',' + y(v).toFixed(1)).join(' ');
        svg('polyline', { points: pts, fill: 'none', stroke: l.color, 'stroke-width': 2 }, root);
      }
      const label = svg('text', { x: lx, y: 18, class: 'legend', 'text-anchor': 'end', fill: l.color }, root);
      label.textContent = '\u25A0 ' + l.label;
      lx -= 12 + 8 * (l.label.length + 2);
    }
  }

  function drawCharts() {
    drawChart($('chart-rps'), 'Requests per second', '', [
      { label: 'RPS', color: '#2e8b57', values: series.rps },
      { label: 'Failures/s', color: '#d0342c', values: series.fails },
    ]);
    const times = [
      { label: 'p50', color: '#3b82c4', values: series.p50 },
      { label: 'p95', color: '#e08a1e', values: series.p95 },
      { label: 'p99', color: '#8e44ad', values: series.p99 },
    ];
    // From the intended start: shown once a run has corrected times.
    if (series.cp99.some((v) => v > 0)) {
      times.push({ label: 'corrected p99', color: '#d0342c', values: series.cp99 });
    }
    drawChart($('chart-times'), 'Response times (ms)', '', times);
    drawChart($('chart-users'), 'Number of users', '', [
      { label: 'Users', color: '#555f6d', values: series.users },
    ]);
  }

  // ---- controls ----

  async function post(url, body) {
    const r = await fetch(url, { method: 'POST', body, cache: 'no-store' });
    const type = r.headers.get('content-type') || '';
    const answer = type.includes('json') ? await r.json() : { success: r.ok, message: await r.text() };
    if (!r.ok || answer.success === false) throw new Error(answer.message || 'HTTP ' + r.status);
    return answer;
  }

  function formBody(form) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) params.append(k, String(v));
    return params;
  }

  function showPanel(id, show) {
    $(id).hidden = !show;
  }

  async function submitStart(ev) {
    ev.preventDefault();
    $('start-error').textContent = '';
    $('start-button').disabled = true;
    try {
      await post('swarm', formBody($('start-form')));
      showPanel('start-panel', false);
      await loadConfig();
      await poll();
    } catch (err) {
      $('start-error').textContent = err.message;
    } finally {
      $('start-button').disabled = false;
    }
  }

  async function submitEdit(ev) {
    ev.preventDefault();
    $('edit-error').textContent = '';
    try {
      await post('swarm', formBody($('edit-form')));
      showPanel('edit-panel', false);
      await poll();
    } catch (err) {
      $('edit-error').textContent = err.message;
    }
  }

  async function stopTest() {
    $('stop-button').disabled = true;
    try {
      // Answers once every user's on_stop ran; the poller shows "stopping" meanwhile.
      await post('stop');
    } catch (err) {
      setMessage('Stop failed: ' + err.message);
    } finally {
      $('stop-button').disabled = false;
      await poll();
    }
  }

  async function resetStats() {
    try {
      await post('stats/reset');
    } catch (err) {
      setMessage('Reset failed: ' + err.message);
    }
    await poll();
  }

  function selectTab(name) {
    activeTab = name;
    for (const b of document.querySelectorAll('.tabs button')) {
      b.classList.toggle('active', b.dataset.tab === name);
    }
    for (const s of document.querySelectorAll('main .tab')) s.hidden = s.id !== 'tab-' + name;
    if (name === 'charts') drawCharts();
  }

  async function loadConfig() {
    const c = await getJson('ui/config');
    document.title = 'swarm: ' + c.scenario;
    $('scenario').textContent = c.scenario;
    $('host').textContent = c.host || '(none)';
    $('version').textContent = 'swarm ' + c.version + ' \u00b7 run ' + c.run_id;
    return c;
  }

  async function init() {
    const c = await loadConfig();
    $('user_count').value = c.user_count;
    $('spawn_rate').value = c.spawn_rate;
    $('host_input').value = c.host || '';
    $('run_time').value = c.run_time ? c.run_time + 's' : '';
    $('load').value = c.load === 'arrival' ? 'arrival' : 'users';
    if (c.arrival_rate) $('arrival_rate').value = c.arrival_rate;
    $('load').addEventListener('change', showLoad);
    showLoad();
    $('start-form').addEventListener('submit', submitStart);
    $('edit-form').addEventListener('submit', submitEdit);
    $('new-button').addEventListener('click', () => showPanel('start-panel', true));
    $('start-cancel').addEventListener('click', () => showPanel('start-panel', false));
    $('edit-button').addEventListener('click', () => {
      $('edit_user_count').value = $('user-count').textContent;
      $('edit_spawn_rate').value = $('spawn_rate').value;
      showPanel('edit-panel', true);
    });
    $('edit-cancel').addEventListener('click', () => showPanel('edit-panel', false));
    $('stop-button').addEventListener('click', stopTest);
    $('reset-button').addEventListener('click', resetStats);
    for (const b of document.querySelectorAll('.tabs button')) {
      b.addEventListener('click', () => selectTab(b.dataset.tab));
    }
    window.addEventListener('resize', () => { if (activeTab === 'charts') drawCharts(); });
    await poll();
    // First visit with nothing running: offer the start form, as Locust does.
    if (state === 'ready') showPanel('start-panel', true);
    setInterval(poll, POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    init().catch((err) => setMessage('Cannot load the page: ' + err.message));
  });
}());
