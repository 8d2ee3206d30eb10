// Agent console: one card per call, restored from GET /api/live and kept
// current by Server-Sent Events (screenpop message v1). Vanilla JS.
(function () {
  'use strict';
  const t = JSON.parse(document.getElementById('i18n').textContent);
  const cardsEl = document.getElementById('cards');
  const empty = document.getElementById('empty');
  const tpl = document.getElementById('card-tpl');
  const conn = document.getElementById('conn');
  const announceEl = document.getElementById('announce');
  const RANK = { requested: 0, ringing: 1, connected: 2, ended: 3, final: 4 };
  const cards = new Map(); // card key (callid, or "dial:"+ref) -> card
  const known = {}; // dial ref -> its call's callid
  let skew = null; // ms to add to Date.now() for the account's wall clock, read as UTC
  let counter = 0;

  // Per-tab memory: dismissed cards and picked contacts survive a reload
  // (the ledger does not know a pick until the disposition is saved).
  function load(key, def) { try { return JSON.parse(sessionStorage.getItem(key)) || def; } catch (e) { return def; } }
  function store(key, v) { try { sessionStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  const dismissed = new Set(load('cmw-dismissed', []));
  const picks = load('cmw-picks', {});

  const { el, post, get } = window.crm; // dom.js
  // Provider times are the account's wall clock, "YYYY-MM-DD HH:mm:ss".
  function parseT(s) {
    if (!s || s.startsWith('1970-01-01')) return null;
    const ms = Date.parse(s.replace(' ', 'T') + 'Z');
    return isNaN(ms) ? null : ms;
  }
  function clock(sec) {
    sec = Math.max(0, Math.floor(sec));
    const h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    const mm = (h ? String(m).padStart(2, '0') : String(m)) + ':' + String(s).padStart(2, '0');
    return h ? h + ':' + mm : mm;
  }
  function announce(text) {
    announceEl.textContent = '';
    setTimeout(() => { announceEl.textContent = text; }, 50);
  }

  // A card's view of its call.
  function stateOf(card) {
    const s = card.msg.call.state;
    if (s === 'requested') return 'dialing';
    if (s === 'ringing') return 'ringing';
    if (s === 'connected') return 'talking';
    return card.saved ? 'ended' : 'wrapup';
  }
  function isEnded(card) { return RANK[card.msg.call.state] >= RANK.ended; }

  function timerText(card) {
    const c = card.msg.call;
    const detect = parseT(c.detect_time), connect = parseT(c.connect_time), disc = parseT(c.disconnect_time);
    if (isEnded(card)) {
      if (connect) return clock(c.duration_s || (disc ? (disc - connect) / 1000 : 0));
      return clock(disc && detect ? (disc - detect) / 1000 : 0);
    }
    const now = skew === null ? null : Date.now() + skew;
    if (c.state === 'connected' && connect && now !== null) return clock((now - connect) / 1000);
    if (c.state === 'ringing' && detect && now !== null) return clock((now - detect) / 1000);
    return clock((Date.now() - card.created) / 1000);
  }
  function tick() { cards.forEach(card => { card.q('.card-timer').textContent = timerText(card); }); }

  function newCard(key) {
    const n = ++counter;
    const node = tpl.content.firstElementChild.cloneNode(true);
    const card = { key, n, el: node, msg: null, contact: null, saved: false, created: Date.now(), updated: 0, matchSig: '' };
    card.q = s => node.querySelector(s);
    node.setAttribute('aria-labelledby', 'c' + n + '-title');
    card.q('.card-title').id = 'c' + n + '-title';
    // Labelled fields: each label points at its own card's input.
    node.querySelectorAll('[data-name]').forEach(f => { f.name = f.dataset.name; f.id = 'c' + n + '-' + f.dataset.name; });
    node.querySelectorAll('label[data-for]').forEach(l => { l.htmlFor = 'c' + n + '-' + l.dataset.for; });
    const hint = card.q('.charge-hint');
    hint.id = 'c' + n + '-charge-hint';
    card.q('[name=charge]').setAttribute('aria-describedby', hint.id);
    card.q('[name=charge]').addEventListener('input', () => chargeHint(card));
    card.q('form').addEventListener('submit', e => { e.preventDefault(); save(card); });
    card.q('.dismiss').addEventListener('click', () => dismiss(card));
    cardsEl.prepend(node);
    cards.set(key, card);
    empty.hidden = true;
    return card;
  }
  function rekey(card, key) {
    cards.delete(card.key);
    card.key = key;
    cards.set(key, card);
  }
  function dismiss(card) {
    dismissed.add(card.key);
    store('cmw-dismissed', Array.from(dismissed).slice(-200));
    cards.delete(card.key);
    const next = card.el.nextElementSibling || card.el.previousElementSibling;
    card.el.remove();
    empty.hidden = cards.size > 0;
    if (next) next.querySelector('.card-title').focus();
  }

  // apply shows a message on its card; fromLive: restored, not news.
  function apply(m, fromLive) {
    const key = m.call.callid, ref = m.call.dial_ref;
    // A dial's messages and its call's may cross on the way: once the
    // call is known, the dial's "dial:"+ref card is the call's.
    if (key.startsWith('dial:') && known[key.slice(5)]) return;
    if (ref) {
      known[ref] = key;
      const dk = 'dial:' + ref, dc = cards.get(dk);
      if (dc && !cards.has(key)) rekey(dc, key);
      else if (dc) { cards.delete(dk); dc.el.remove(); }
      if (dismissed.has(dk)) dismissed.add(key);
    }
    if (dismissed.has(key)) return;
    let card = cards.get(key);
    const isNew = !card;
    if (isNew) card = newCard(key);
    else if (RANK[m.call.state] < RANK[card.msg.call.state]) return; // an older view: states only move forward
    card.msg = m;
    card.updated = Date.now();
    if (card.el.dataset.callid !== key) card.el.dataset.callid = key;
    if (m.match.kind === 'known' && m.match.contacts && m.match.contacts.length) {
      if (!card.contact || card.contact.id !== m.match.contacts[0].id) setContact(card, m.match.contacts[0]);
    } else if (!card.contact && picks[key]) {
      setContact(card, picks[key]);
    }
    render(card);
    if (isNew && !fromLive && !isEnded(card)) notify(card);
  }

  // numberOf is the other party as sent, or "withheld" (e.g. "anonymous").
  function numberOf(card) {
    const c = card.msg.call;
    if (!c.number || (!c.number_e164 && !/\d/.test(c.number))) return t.withheld_number;
    if (!c.number_e164 && card.msg.match.kind === 'withheld' && c.direction !== 'internal') return t.withheld_number;
    return c.number_display || c.number;
  }
  function render(card) {
    const m = card.msg, c = m.call;
    const st = stateOf(card);
    card.el.dataset.state = st;
    card.q('.dir').textContent = t['dir_' + c.direction] || c.direction;
    card.q('.num').textContent = numberOf(card);
    card.q('.card-state').textContent = t['s_' + st] + (card.saved ? ' · ' + t.s_saved : '');
    card.q('.card-timer').textContent = timerText(card);
    card.q('.dismiss').hidden = !(card.saved || isEnded(card));
    renderMatch(card);
    chargeHint(card);
  }

  function renderMatch(card) {
    const m = card.msg, area = card.q('.match');
    const sig = m.match.kind + '|' + (m.match.contacts || []).map(c => c.id).join(',') + '|' + (card.contact ? card.contact.id : '');
    if (sig === card.matchSig) return;
    card.matchSig = sig;
    area.textContent = '';
    const k = m.match.kind;
    if (k === 'known') return;
    if (k === 'candidates') {
      area.append(el('p', {}, t.several));
      const g = el('div', { class: 'candidates', role: 'group', 'aria-label': t.several });
      m.match.contacts.forEach(c => {
        const chosen = card.contact && card.contact.id === c.id;
        const b = el('button', { type: 'button', class: 'candidate', 'data-contact': c.id, 'aria-pressed': chosen ? 'true' : 'false' },
          t.pick + ': ' + c.name + ' — ' + c.customer_name);
        b.onclick = () => pick(card, c);
        g.append(b);
      });
      area.append(g);
    } else if (k === 'unknown') {
      if (card.contact) return;
      area.append(el('p', {}, t.unknown));
      area.append(createForm(card), searchBox(card));
      const ign = el('button', { type: 'button', class: 'ignore' }, t.ignore);
      // Recorded in the ledger (result "ignored", by this agent), then the card goes.
      ign.onclick = () => {
        ign.disabled = true;
        post('/api/ignore', { callid: card.key }).then(r => {
          if (r.ok) { dismiss(card); return; }
          ign.disabled = false;
          say(card, r.data.error || t.err_internal, true);
        }).catch(() => { ign.disabled = false; say(card, t.err_network, true); });
      };
      area.append(ign);
    } else {
      if (card.contact) return;
      area.append(el('p', {}, t.withheld), searchBox(card));
    }
  }

  function createForm(card) {
    const n = card.n;
    const f = el('form', { class: 'create' });
    const name = el('input', { id: 'c' + n + '-new-name', name: 'name', required: '', autocomplete: 'off' });
    const cust = el('input', { id: 'c' + n + '-new-customer', name: 'customer', required: '', autocomplete: 'off' });
    f.append(el('label', { for: name.id }, t.name), name, el('label', { for: cust.id }, t.customer), cust, el('button', {}, t.create));
    // One transaction on the server: customer, contact and number, or
    // nothing and the reason. A number another contact got meanwhile is a
    // warning with a button to save it as shared.
    const send = shared => {
      const data = { callid: card.key, name: name.value, customer: cust.value, number: card.msg.call.number };
      if (shared) data.shared = '1';
      post('/api/contacts', data).then(r => {
        if (r.ok && r.data.contact) { setContact(card, r.data.contact); render(card); say(card, r.data.message, false); return; }
        say(card, r.data.error || t.err_internal, true);
        if (r.status === 409) {
          const again = el('button', { type: 'button', class: 'confirm-shared' }, t.save_shared);
          again.onclick = () => send(true);
          card.q('.card-msg').append(' ', again);
        }
      }).catch(() => say(card, t.err_network, true));
    };
    f.onsubmit = e => { e.preventDefault(); send(false); };
    return f;
  }
  function searchBox(card) {
    const n = card.n;
    const box = el('form', { class: 'search', role: 'search' });
    const q = el('input', { id: 'c' + n + '-q', name: 'q', type: 'search' });
    const results = el('div', { class: 'results', 'aria-live': 'polite' });
    box.append(el('label', { for: q.id }, t.search_customer), q, el('button', {}, t.search), results);
    let asked = 0; // only the latest search's answer is shown
    const fail = text => { results.textContent = ''; results.append(el('p', { class: 'err', role: 'alert' }, text)); };
    box.onsubmit = e => {
      e.preventDefault();
      const n = ++asked;
      get('/api/search?q=' + encodeURIComponent(q.value)).then(r => {
        if (n !== asked) return;
        // A failed search is not an empty one: say so (translated by the server, else here).
        if (!r.ok) { fail(r.data.error || t.err_search); return; }
        const d = r.data;
        results.textContent = '';
        if (!(d.contacts || []).length) results.append(el('p', { class: 'no-results' }, t.no_results));
        (d.contacts || []).forEach(c => {
          const b = el('button', { type: 'button', class: 'candidate' }, t.link + ': ' + c.name + ' — ' + c.customer_name);
          // An unknown caller linked to a contact: the number is saved on it.
          b.onclick = () => pick(card, c, card.msg.match.kind === 'unknown' && !!card.msg.call.number_e164);
          results.append(b);
        });
      }).catch(() => { if (n === asked) fail(t.err_search_network); });
    };
    return box;
  }

  function pick(card, c, link) {
    setContact(card, c);
    card.matchSig = '';
    render(card);
    const data = { callid: card.key, contact_id: c.id };
    if (link) data.link = '1';
    post('/api/pick', data).then(r => {
      if (!r.ok) { say(card, r.data.error || t.err_internal, true); return; }
      if (link) say(card, r.data.message, false);
    }).catch(() => say(card, t.err_network, true));
  }
  // say shows the outcome of a card's action (translated by the server).
  function say(card, text, isErr) {
    const m = card.q('.card-msg');
    m.className = 'card-msg ' + (isErr ? 'err' : 'ok');
    m.textContent = text || '';
  }
  function setContact(card, c) {
    card.contact = c;
    picks[card.key] = { id: c.id, name: c.name, customer_name: c.customer_name };
    store('cmw-picks', picks);
    card.q('.chosen-name').textContent = c.name ? c.name + ' — ' + c.customer_name : c.id;
    caseFile(card);
  }
  // caseFile shows the chosen contact's customer: balance, entries, calls.
  function caseFile(card) {
    const id = card.contact && card.contact.id;
    if (!id) return Promise.resolve();
    return fetch('/api/contact?id=' + encodeURIComponent(id)).then(r => r.json()).then(d => {
      if (!d.contact || !card.contact || card.contact.id !== id) return;
      const box = card.q('.contact');
      box.textContent = '';
      box.append(el('h4', { class: 'contact-name' }, d.contact.name + ' — ' + d.contact.customer_name));
      if (d.case_file_url) box.append(el('a', { class: 'case-link', href: d.case_file_url, target: '_blank', rel: 'noopener' }, t.open_case_file));
      box.append(el('p', { class: 'numbers' }, (d.contact.numbers || []).join(', ')));
      const bal = el('p', { class: 'balance-line' }, t.case_file + ' · ' + t.balance + ' ');
      if (d.currency) bal.append(el('span', { class: 'currency' }, d.currency + ' '));
      bal.append(el('strong', { class: 'balance' }, d.balance));
      box.append(bal);
      const ul = el('ul', { class: 'case-file' });
      (d.case_file || []).forEach(e => ul.append(el('li', {}, e.When + ' · ' + e.Description + ' · ' + e.Amount)));
      box.append(ul);
      if ((d.calls || []).length) {
        const det = el('details', { class: 'recent' });
        det.append(el('summary', {}, t.recent_calls));
        const calls = el('ul');
        d.calls.forEach(c => calls.append(el('li', {}, [c.When, c.Direction, c.Result, c.Notes].filter(Boolean).join(' · '))));
        det.append(calls);
        box.append(det);
      }
    });
  }

  function chargeHint(card) {
    const v = card.q('[name=charge]').value.trim();
    card.q('.charge-hint').textContent = v && !card.contact ? t.charge_hint : '';
    card.q('.chosen-name').textContent = card.contact ? (card.contact.name ? card.contact.name + ' — ' + card.contact.customer_name : card.contact.id) : t.no_contact;
  }

  function save(card) {
    const f = card.q('form'), msg = card.q('.form-msg');
    const charge = f.charge.value.trim().replace(',', '.');
    msg.className = 'form-msg err';
    if (charge) {
      // The server's rule (parseAmount): digits, up to 2 decimals, no sign or exponent.
      if (charge.startsWith('-')) { msg.textContent = t.err_charge_negative; f.charge.focus(); return; }
      if (!/^\d{1,9}(\.\d{1,2})?$/.test(charge)) { msg.textContent = t.err_bad_amount + ' ' + charge; f.charge.focus(); return; }
      if (Number(charge) !== 0 && !card.contact) { msg.textContent = t.err_charge_needs_contact; f.charge.focus(); return; }
    }
    msg.className = 'form-msg';
    msg.textContent = t.saving;
    const data = {
      callid: card.key, contact_id: card.contact ? card.contact.id : '', result: f.result.value, notes: f.notes.value,
      next_action: f.next_action.value, next_action_date: f.next_action_date.value, charge,
    };
    post('/api/disposition', data).then(r => {
      if (!r.ok) { msg.className = 'form-msg err'; msg.textContent = r.data.error || String(r.status); return; }
      card.saved = true;
      msg.className = 'form-msg ok';
      msg.textContent = r.data.message;
      card.q('fieldset').disabled = true;
      render(card);
      return caseFile(card);
    }).catch(() => { msg.className = 'form-msg err'; msg.textContent = t.err_network; });
  }

  // Desktop notifications: asked for on a click, shown when the tab is hidden.
  function notify(card) {
    const c = card.msg.call;
    const who = numberOf(card);
    const text = (c.direction === 'out' ? t.announce_out : t.announce_in) + ' ' + who;
    announce(text);
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      try { new Notification(text, { tag: card.key }); } catch (e) { /* not allowed here */ }
    }
  }
  const nb = document.getElementById('notify'), ns = document.getElementById('notify-state');
  if ('Notification' in window && Notification.permission === 'default') {
    nb.hidden = false;
    nb.onclick = () => Notification.requestPermission().then(p => {
      nb.hidden = true;
      ns.textContent = p === 'granted' ? t.notify_on : t.notify_denied;
    });
  }

  // resync restores the cards from the ledger: on load and after a
  // reconnection. Unsaved cards the ledger no longer lists are gone.
  function resync() {
    const started = Date.now();
    return fetch('/api/live', { headers: { Accept: 'application/json' } }).then(r => {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(d => {
      if (typeof d.now_ms === 'number') skew = d.now_ms + (d.zone_offset || 0) * 1000 - Date.now();
      else if (parseT(d.now) !== null) skew = parseT(d.now) - Date.now();
      const listed = new Set();
      const disposed = new Set(d.disposed || []);
      // Oldest first, so the newest ends on top.
      (d.messages || []).slice().reverse().forEach(m => {
        listed.add(m.call.callid);
        apply(m, true);
        const card = cards.get(m.call.callid);
        if (card && disposed.has(m.call.callid) && !card.saved) { card.saved = true; render(card); }
      });
      cards.forEach(card => {
        if (!listed.has(card.key) && !card.saved && card.updated < started) {
          cards.delete(card.key);
          card.el.remove();
        }
      });
      empty.hidden = cards.size > 0;
      tick();
    }).catch(() => { /* the stream's banner says we are offline */ });
  }

  let es = null, broken = false;
  function connect() {
    es = new EventSource('/events'); // the signed-in agent's calls; replays from Last-Event-ID
    es.onopen = () => {
      if (broken) { broken = false; conn.hidden = true; resync(); }
    };
    es.onerror = () => {
      broken = true;
      conn.hidden = false;
      if (es.readyState === EventSource.CLOSED) { es.close(); setTimeout(connect, 3000); }
    };
    ['pop', 'update', 'end'].forEach(type => es.addEventListener(type, e => apply(JSON.parse(e.data), false)));
    es.addEventListener('missed', () => resync()); // the replay buffer lost some: ask the ledger
  }
  connect();
  resync();
  setInterval(tick, 1000);
  document.querySelectorAll('.demo-calls button').forEach(b => { b.onclick = () => post('/demo/inbound', { kind: b.dataset.kind }); });
})();
