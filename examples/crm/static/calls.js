// The history refreshes itself: on the first page, the table is fetched
// again every 15 seconds, so new and reconciled calls show without a reload.
(() => {
  const table = document.getElementById('calls');
  if (!table || table.dataset.page !== '1') return;
  setInterval(async () => {
    try {
      const r = await fetch(location.href, { headers: { 'Accept': 'text/html' } });
      if (!r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      const fresh = doc.querySelector('#calls tbody');
      if (fresh) table.querySelector('tbody').replaceWith(fresh);
    } catch (e) { /* offline for a moment: the next tick retries */ }
  }, 15000);
})();

// The customer filter: a text box backed by /api/search (at most 20
// contacts), so the page never lists every customer. Picking a
// suggestion puts its customer's id in the hidden "customer" field, which
// the filter, its links and the CSV export carry; emptying the box
// filters no customer.
(() => {
  const box = document.getElementById('customer-q');
  const id = document.getElementById('customer-id');
  const list = document.getElementById('customer-list');
  if (!box || !id || !list) return;
  const chosen = box.value;
  let byName = new Map(); // the suggestions: customer name → id
  let asked = 0; // only the latest search's answer is shown
  let timer;
  const pick = () => {
    const v = box.value.trim();
    if (v === '') id.value = '';
    else if (byName.has(v)) id.value = byName.get(v);
    else if (v !== chosen) id.value = '';
  };
  box.addEventListener('input', () => {
    pick();
    const v = box.value.trim();
    clearTimeout(timer);
    if (v === '' || byName.has(v)) return;
    timer = setTimeout(async () => {
      const n = ++asked;
      try {
        const r = await fetch('/api/search?q=' + encodeURIComponent(v), { headers: { 'Accept': 'application/json' } });
        if (!r.ok || n !== asked) return;
        const d = await r.json();
        const m = new Map();
        for (const c of d.contacts || []) {
          if (c.customer_id && !m.has(c.customer_name)) m.set(c.customer_name, c.customer_id);
        }
        byName = m;
        list.replaceChildren(...[...m.keys()].map(name => {
          const o = document.createElement('option');
          o.value = name;
          return o;
        }));
        pick();
      } catch (e) { /* offline for a moment: the next keystroke asks again */ }
    }, 200);
  });
  // Typed but not picked: one suggestion is the customer meant.
  box.form.addEventListener('submit', () => {
    if (box.value.trim() !== '' && id.value === '' && byName.size === 1) id.value = [...byName.values()][0];
  });
})();
