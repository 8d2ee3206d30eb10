// Small DOM and fetch helpers shared by the console's scripts. Vanilla JS.
window.crm = (function () {
  'use strict';
  // el makes an element with attributes and, optionally, its text.
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // post sends a form and resolves to {ok, status, data} (data: the JSON answer, or {}).
  function post(url, data) {
    const body = new FormData();
    Object.entries(data).forEach(([k, v]) => body.append(k, v));
    return fetch(url, { method: 'POST', body, headers: { Accept: 'application/json' } })
      .then(r => r.json().catch(() => ({})).then(d => ({ ok: r.ok, status: r.status, data: d })));
  }
  // get reads a JSON answer and resolves to {ok, status, data} (data: the JSON answer, or {}).
  function get(url) {
    return fetch(url, { headers: { Accept: 'application/json' } })
      .then(r => r.json().catch(() => ({})).then(d => ({ ok: r.ok, status: r.status, data: d })));
  }
  return { el, post, get };
})();
