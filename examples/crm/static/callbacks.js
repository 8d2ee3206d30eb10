// Agent console: the callbacks owed (GET /api/callbacks), the agent's own
// and the queue's, with "call back" (through the contact policy) and
// "dismiss" (with a reason). A callback closes by itself once the customer
// is reached: the list is refreshed every few seconds. Vanilla JS.
(function () {
  'use strict';
  const t = JSON.parse(document.getElementById('cb-i18n').textContent);
  const list = document.getElementById('callback-list');
  const none = document.getElementById('no-callbacks');
  const count = document.getElementById('callbacks-count');
  const msg = document.getElementById('callback-msg');
  const REFRESH = 3000;

  const { el, post } = window.crm; // dom.js
  function say(text, err) {
    msg.hidden = !text;
    msg.textContent = text || '';
    msg.className = 'msg ' + (err ? 'err' : 'ok');
  }

  function item(cb) {
    const li = el('li', { class: 'callback' + (cb.overdue ? ' overdue' : ''), 'data-callback': cb.id });
    const head = el('p', { class: 'cb-head' });
    head.append(el('strong', { class: 'phone' }, cb.number));
    if (cb.customer_name) {
      head.append(' · ');
      head.append(el('a', { href: '/customers/' + cb.customer_id }, cb.customer_name));
    }
    li.append(head);
    const meta = el('p', { class: 'cb-meta hint' }, cb.missed + ' ' + (cb.missed === 1 ? t.missed_one : t.missed) + ' · ' + t.due + ' ' + cb.due +
      ' · ' + t.owner + ': ' + cb.owner + (cb.queue ? ' (' + t.queue + ')' : ''));
    if (cb.overdue) meta.append(' ', el('strong', { class: 'badge err' }, t.overdue));
    li.append(meta);
    const actions = el('div', { class: 'cb-actions' });
    const call = el('button', { type: 'button', class: 'primary call-back' }, '☎ ' + t.call_back);
    const reason = el('input', { class: 'dismiss-reason', 'aria-label': t.reason, placeholder: t.reason, autocomplete: 'off' });
    const dismiss = el('button', { type: 'button', class: 'dismiss-callback' }, t.dismiss);
    actions.append(call, reason, dismiss);
    li.append(actions);
    call.addEventListener('click', () => dial(cb, li, {}));
    dismiss.addEventListener('click', () => {
      if (!reason.value.trim()) { reason.focus(); say(t.reason, true); return; }
      post('/api/callbacks/dismiss', { id: cb.id, reason: reason.value }).then(r => {
        say(r.data.message || r.data.error, !r.ok);
        refresh();
      }).catch(() => say(t.err_network, true));
    });
    return li;
  }

  // dial returns the call; a refusal names the rule and the next allowed
  // time, and a supervisor gets a reason field to override it.
  function dial(cb, li, extra) {
    post('/api/callbacks/dial', Object.assign({ id: cb.id }, extra)).then(r => {
      say(r.data.message || r.data.error, !r.ok);
      li.querySelectorAll('.cb-override').forEach(e => e.remove());
      if (r.data.refused && r.data.can_override) {
        const f = el('form', { class: 'cb-override' });
        const inp = el('input', { name: 'override_reason', required: '', 'aria-label': t.override_reason, placeholder: t.override + ' · ' + t.override_reason });
        f.append(inp, el('button', { class: 'primary' }, t.override_dial));
        f.addEventListener('submit', e => { e.preventDefault(); dial(cb, li, { override: '1', override_reason: inp.value }); });
        li.append(f);
      }
    }).catch(() => say(t.err_network, true));
  }

  function render(cbs) {
    const keep = new Set(cbs.map(c => c.id));
    list.querySelectorAll('li.callback').forEach(li => { if (!keep.has(li.dataset.callback)) li.remove(); });
    cbs.forEach(cb => {
      const old = list.querySelector('li[data-callback="' + CSS.escape(cb.id) + '"]');
      if (old) {
        old.classList.toggle('overdue', cb.overdue);
        return; // keep what the agent is typing
      }
      list.append(item(cb));
    });
    none.hidden = cbs.length > 0;
    count.textContent = cbs.length ? '(' + cbs.length + ')' : '';
  }

  function refresh() {
    return fetch('/api/callbacks', { headers: { Accept: 'application/json' } }).then(r => r.json()).then(d => {
      render(d.callbacks || []);
      document.body.dataset.callbacksLoaded = '1';
    }).catch(() => { /* the next refresh tries again */ });
  }
  refresh();
  setInterval(refresh, REFRESH);
}());
