/* global document, fetch, setTimeout, clearTimeout */
// Live validation of the template editor: as the JSON changes, the server names what is invalid or missing.
'use strict';
(() => {
  const area = document.querySelector('textarea[data-check]');
  if (!area) return;
  const box = document.getElementById('template-check');
  let timer;
  function list(title, items) {
    const p = document.createElement('p');
    p.textContent = title;
    const ul = document.createElement('ul');
    ul.className = 'problems';
    for (const item of items) {
      const li = document.createElement('li');
      li.textContent = item;
      ul.appendChild(li);
    }
    return [p, ul];
  }
  async function check() {
    const res = await fetch(area.dataset.check, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': area.dataset.csrf },
      body: JSON.stringify({ template: area.value }),
    });
    if (!res.ok) return;
    const result = await res.json();
    const parts = [];
    if (result.problems.length) parts.push(...list(area.dataset.msgInvalid, result.problems));
    if (result.missing.length) parts.push(...list(area.dataset.msgMissing, result.missing));
    if (result.valid && !result.missing.length) {
      const ok = document.createElement('p');
      ok.className = 'verdict ok';
      ok.textContent = area.dataset.msgReady;
      parts.push(ok);
    }
    box.replaceChildren(...parts);
  }
  area.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  check();
})();
