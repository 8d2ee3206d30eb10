// The supervisor board: renders GET /api/board every few seconds (the
// server's Board, labels already in the reader's language), runs the
// timers between refreshes, and draws the charts with the vendored
// Chart.js. The page's first data is embedded (#board-data), so the board
// shows at once and without a request.
(() => {
  'use strict';
  const root = document.getElementById('board');
  const i18n = JSON.parse(document.getElementById('board-i18n').textContent);
  const refreshMs = Number(root.dataset.refresh) || 3000;
  const $ = (id) => document.getElementById(id);
  let skew = 0; // the browser's clock minus the server's
  let data = null;

  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  };

  const clock = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    const mm = String(Math.floor(s / 60) % 60), ss = String(s % 60).padStart(2, '0');
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
  };
  const tick = () => {
    const now = Date.now() - skew;
    document.querySelectorAll('time.timer').forEach((t) => {
      const since = Number(t.dataset.since);
      t.textContent = since > 0 ? clock(now - since) : '';
    });
  };
  const timer = (sinceMs) => el('time', {class: 'timer', 'data-since': String(sinceMs || 0)});

  function renderFigures(d) {
    const f = d.figures;
    $('kpi-calls').textContent = f.calls;
    $('kpi-live').textContent = f.live;
    $('kpi-rate').textContent = f.answered_rate ? `${f.answered_rate} %` : '—';
    $('kpi-answered').textContent = `${f.answered} / ${f.finished}`;
    $('kpi-aht').textContent = f.aht;
    $('kpi-cost').textContent = f.cost;
    $('kpi-awaiting').textContent = f.awaiting_cdr;
    $('kpi-charges').textContent = f.charges;
    $('board-day').textContent = d.day;
  }

  function renderAgents(d) {
    $('agents').replaceChildren(...d.agents.map((a) => {
      const call = a.call
        ? [el('span', {class: 'num'}, a.call.number), a.call.contact ? ' · ' : null, a.call.contact ? el('span', {class: 'who'}, a.call.contact) : null]
        : [el('span', {class: 'hint'}, i18n.no_call)];
      return el('li', {class: 'agent-tile', 'data-agent': a.id, 'data-state': a.state},
        el('div', {class: 'agent-top'}, el('span', {class: 'agent-name'}, a.name), ' ', el('span', {class: 'pill'}, a.label)),
        el('p', {class: 'agent-call'}, ...call),
        el('p', {class: 'agent-foot'}, timer(a.since_ms), ' ', el('span', {class: 'agent-today'}, a.today)));
    }));
    $('per-agent').tBodies[0].replaceChildren(...d.agents.map((a) => el('tr', {'data-agent': a.id},
      el('td', {}, a.name), el('td', {class: 'n'}, String(a.calls)), el('td', {class: 'n'}, String(a.answered)), el('td', {class: 'n'}, a.cost))));
  }

  function renderLive(d) {
    $('no-live').hidden = d.live.length > 0;
    $('live').hidden = d.live.length === 0;
    $('live').tBodies[0].replaceChildren(...d.live.map((c) => el('tr', {'data-callid': c.id, 'data-state': c.state},
      el('td', {class: 'c-state'}, el('span', {class: 'pill'}, c.label)), el('td', {class: 'c-timer'}, timer(c.since_ms)),
      el('td', {class: 'c-dir'}, c.direction), el('td', {class: 'num'}, c.number),
      el('td', {class: 'c-contact'}, c.contact || '', c.customer ? ' ' : null, c.customer ? el('small', {}, c.customer) : null),
      el('td', {class: 'c-agent'}, c.agent))));
  }

  // Charts: created once, their data replaced at each refresh.
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const outcomeColors = {answered: color('--ok', '#15803d'), not_connected: color('--bad', '#b91c1c'),
    never_arrived: color('--violet', '#7c3aed'), in_progress: color('--warn', '#d97706')};
  const charts = {};
  function renderCharts(d) {
    if (!window.Chart) return; // the board still works without its charts
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    const hours = d.hours.map((_, h) => `${String(h).padStart(2, '0')}h`);
    const sets = {
      hours: {type: 'bar', labels: hours, data: d.hours, colors: color('--accent', '#2563eb'), options: {plugins: {legend: {display: false}},
        scales: {y: {beginAtZero: true, ticks: {precision: 0}}, x: {ticks: {autoSkip: true, maxRotation: 0}}}}},
      outcomes: {type: 'doughnut', labels: d.outcomes.map((o) => o.label), data: d.outcomes.map((o) => o.n),
        colors: d.outcomes.map((o) => outcomeColors[o.key] || '#888'), options: {plugins: {legend: {position: 'bottom', labels: {boxWidth: 12}}}}},
      results: {type: 'bar', labels: d.results.map((r) => r.label), data: d.results.map((r) => r.n), colors: color('--accent-2', '#0891b2'),
        options: {indexAxis: 'y', plugins: {legend: {display: false}}, scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}},
    };
    for (const [name, s] of Object.entries(sets)) {
      const c = charts[name];
      if (c) {
        c.data.labels = s.labels;
        c.data.datasets[0].data = s.data;
        c.data.datasets[0].backgroundColor = s.colors;
        c.update('none');
        continue;
      }
      charts[name] = new Chart($('chart-' + name), {type: s.type,
        data: {labels: s.labels, datasets: [{label: i18n.calls, data: s.data, backgroundColor: s.colors, borderWidth: 0, borderRadius: s.type === 'bar' ? 4 : 0}]},
        options: Object.assign({responsive: true, maintainAspectRatio: false}, s.options)});
    }
  }

  function render(d) {
    data = d;
    skew = Date.now() - d.now_ms;
    renderFigures(d);
    renderAgents(d);
    renderLive(d);
    renderCharts(d);
    $('board-updated').textContent = d.updated;
    root.dataset.loaded = String(Number(root.dataset.loaded || 0) + 1);
    tick();
  }

  async function refresh() {
    try {
      const r = await fetch('/api/board', {headers: {Accept: 'application/json'}, cache: 'no-store'});
      if (r.status === 401) { location.reload(); return; } // signed out: the page asks to sign in
      if (!r.ok) throw new Error(String(r.status));
      render(await r.json());
      $('board-stale').hidden = true;
    } catch (e) {
      $('board-stale').hidden = false;
    } finally {
      setTimeout(refresh, refreshMs);
    }
  }

  render(JSON.parse($('board-data').textContent));
  setInterval(tick, 1000);
  setTimeout(refresh, refreshMs);
  window.boardData = () => data; // for tests and the console
})();
