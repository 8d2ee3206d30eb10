// Agent console: live pop-ups over Server-Sent Events (screenpop message v1).
(function () {
  const t = JSON.parse(document.getElementById('i18n').textContent);
  const pop = document.getElementById('pop');
  const title = document.getElementById('pop-title');
  const matchEl = document.getElementById('pop-match');
  const card = document.getElementById('pop-card');
  const form = document.getElementById('disposition');
  const status = document.getElementById('status');
  let current = null;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function post(url, data) {
    const body = new FormData();
    Object.entries(data).forEach(([k, v]) => body.append(k, v));
    return fetch(url, { method: 'POST', body, headers: { Accept: 'application/json' } }).then(r => r.json());
  }
  function showContact(c) {
    form.contact_id.value = c.id;
    card.textContent = '';
    fetch('/api/contact?id=' + encodeURIComponent(c.id)).then(r => r.json()).then(d => {
      card.append(el('h3', { class: 'contact-name' }, d.contact.name + ' — ' + d.contact.customer_name));
      card.append(el('p', {}, (d.contact.numbers || []).join(', ')));
      card.append(el('h4', {}, t.case_file + ' (' + t.balance + ' ' + d.balance + ')'));
      const ul = el('ul', { class: 'case-file' });
      (d.case_file || []).forEach(e => ul.append(el('li', {}, e.When + ' ' + e.Description + ' ' + e.Amount)));
      card.append(ul);
      card.append(el('h4', {}, t.recent_calls));
      const calls = el('ul');
      (d.calls || []).forEach(c => calls.append(el('li', {}, c.When + ' ' + c.Direction + ' ' + (c.Result || '') + ' ' + (c.Notes || ''))));
      card.append(calls);
    });
  }
  function pick(c) {
    post('/api/pick', { callid: current.call.callid, contact_id: c.id });
  }
  function searchBox() {
    const box = el('div', { class: 'search' });
    const q = el('input', { placeholder: t.search, name: 'q' });
    const results = el('div');
    const go = el('button', { type: 'button' }, t.search);
    go.onclick = () => fetch('/api/search?q=' + encodeURIComponent(q.value)).then(r => r.json()).then(d => {
      results.textContent = '';
      (d.contacts || []).forEach(c => {
        const b = el('button', { type: 'button', class: 'candidate' }, t.link + ': ' + c.name + ' — ' + c.customer_name);
        b.onclick = () => pick(c);
        results.append(b);
      });
    });
    box.append(q, go, results);
    return box;
  }
  function render(m) {
    current = m;
    pop.hidden = false;
    form.hidden = false;
    form.callid.value = m.call.callid;
    const state = { requested: t.ringing, ringing: t.ringing, connected: t.connected, ended: t.ended_state, final: t.ended_state }[m.call.state] || m.call.state;
    title.textContent = (m.call.direction === 'out' ? '→ ' : '← ') + (m.call.number || t.withheld_number) + ' · ' + state;
    matchEl.textContent = '';
    const k = m.match.kind;
    if (k === 'known') {
      showContact(m.match.contacts[0]);
    } else if (k === 'candidates') {
      card.textContent = '';
      matchEl.append(el('p', {}, t.several));
      m.match.contacts.forEach(c => {
        const b = el('button', { type: 'button', class: 'candidate', 'data-contact': c.id }, t.pick + ': ' + c.name + ' — ' + c.customer_name);
        b.onclick = () => pick(c);
        matchEl.append(b);
      });
    } else if (k === 'unknown') {
      card.textContent = '';
      matchEl.append(el('p', {}, t.unknown));
      const f = el('form', { class: 'create' });
      f.append(el('input', { name: 'name', placeholder: t.name, required: '' }), el('input', { name: 'customer', placeholder: t.customer, required: '' }));
      const b = el('button', {}, t.create);
      f.append(b);
      f.onsubmit = e => { e.preventDefault(); post('/api/contacts', { callid: m.call.callid, name: f.name.value, customer: f.customer.value, number: m.call.number }); };
      const ign = el('button', { type: 'button' }, t.ignore);
      ign.onclick = () => { pop.hidden = true; };
      matchEl.append(f, searchBox(), ign);
    } else {
      card.textContent = '';
      matchEl.append(el('p', {}, t.withheld), searchBox());
    }
    if (m.type === 'end') status.textContent = t.ended;
  }
  const es = new EventSource('/events'); // the signed-in agent's pops
  ['pop', 'update', 'end'].forEach(type => es.addEventListener(type, e => {
    const m = JSON.parse(e.data);
    if (current && current.call.callid === m.call.callid && m.type === 'end') { current.call = m.call; status.textContent = t.ended; return; }
    render(m);
  }));
  form.onsubmit = e => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    post('/api/disposition', data).then(r => { document.getElementById('saved').textContent = r.message || r.error; });
  };
  document.querySelectorAll('.demo-calls button').forEach(b => b.onclick = () => post('/demo/inbound', { kind: b.dataset.kind }));
})();
