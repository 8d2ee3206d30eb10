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
