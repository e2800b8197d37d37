/* global document, Event, setTimeout, clearTimeout */
// The field-by-field template editor and the JSON editor's textarea (which the form posts and live validation
// checks), kept in step both ways: editing a field rewrites the JSON, keeping the keys the fields do not
// cover; editing the JSON (typing, or a file) refills the fields once it parses. JSON that does not parse
// leaves the fields as they were and says why next to the textarea.
'use strict';
(() => {
  const root = document.querySelector('[data-fields]');
  const area = document.getElementById('template-json');
  if (!root || !area) return;
  const status = document.getElementById('template-json-status');
  const covered = root.dataset.covered.split(' ');
  let added = 0;
  let writing = false;
  let timer;
  // The last document the textarea held that parsed: what a field edit keeps the other keys of, even while
  // the text is broken.
  let lastGood = {};
  try {
    lastGood = JSON.parse(area.value);
  } catch {
    lastGood = {};
  }

  function leaf(el) {
    const v = el.value.trim();
    if (v === '') return undefined;
    if (el.dataset.kind === 'number') return Number(v);
    if (el.dataset.kind === 'boolean') return v === 'true';
    return v;
  }
  function empty(v) {
    if (v === undefined) return true;
    if (Array.isArray(v)) return v.length === 0;
    return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
  }
  function items(node, out) {
    for (const child of node.children) {
      if (child.hasAttribute('data-item')) {
        const item = walk(child, {});
        if (!empty(item)) out.push(item);
      } else items(child, out);
    }
    return out;
  }
  function walk(node, target) {
    for (const child of node.children) {
      const d = child.dataset;
      // A language not chosen above is left out of the document (its fields keep their text until saved).
      if (d.lang !== undefined && child.hidden) continue;
      let value;
      if (d.key !== undefined) value = leaf(child);
      else if (d.obj !== undefined) value = walk(child, {});
      else if (d.list !== undefined) value = items(child, []);
      else {
        walk(child, target);
        continue;
      }
      const key = d.key ?? d.obj ?? d.list;
      if (!empty(value)) target[key] = value;
    }
    return target;
  }
  function serialize() {
    let base = lastGood;
    try {
      base = JSON.parse(area.value);
    } catch {
      base = lastGood;
    }
    if (!base || typeof base !== 'object' || Array.isArray(base)) base = {};
    const out = { format: 'credbridge-template/1' };
    for (const [k, v] of Object.entries(base)) if (!covered.includes(k)) out[k] = v;
    Object.assign(out, walk(root, {}));
    area.value = JSON.stringify(out, null, 2);
    lastGood = out;
    showStatus('');
    // Live validation listens for input; this script does not refill the fields from its own writing.
    writing = true;
    try {
      area.dispatchEvent(new Event('input'));
    } finally {
      writing = false;
    }
  }

  /** Adds an empty item to a list (its template, with ids made unique) and returns it. */
  function addItem(list) {
    const tpl = list.querySelector(':scope > template');
    const item = tpl.content.cloneNode(true);
    added += 1;
    for (const el of item.querySelectorAll('[id]')) el.id = `${el.id}-n${added}`;
    for (const el of item.querySelectorAll('label[for]')) el.htmlFor = `${el.htmlFor}-n${added}`;
    for (const el of item.querySelectorAll('[aria-describedby]'))
      el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby')}-n${added}`);
    const node = item.querySelector('[data-item]');
    list.querySelector(':scope > .items').appendChild(item);
    // The new item's texts follow the languages chosen now, not those of when the page was made.
    for (const box of root.querySelectorAll('[data-languages] input[type=checkbox]'))
      for (const el of node.querySelectorAll(`[data-lang="${box.value}"]`)) el.hidden = !box.checked;
    return node;
  }

  // JSON -> fields.
  const asObject = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
  function setLeaf(el, v) {
    const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (el.tagName === 'SELECT' && text !== '' && ![...el.options].some((o) => o.value === text)) {
      // A value the list does not offer stays in the document (validation names it) instead of being dropped.
      const option = document.createElement('option');
      option.value = text;
      option.textContent = text;
      el.appendChild(option);
    }
    el.value = text;
  }
  function fillList(list, values) {
    const box = list.querySelector(':scope > .items');
    const current = () => [...box.children].filter((c) => c.hasAttribute('data-item'));
    while (current().length > values.length) current().pop().remove();
    while (current().length < values.length) addItem(list);
    current().forEach((item, i) => fill(item, asObject(values[i])));
  }
  function fill(node, data) {
    for (const child of node.children) {
      const d = child.dataset;
      if (d.key !== undefined) setLeaf(child, data[d.key]);
      else if (d.obj !== undefined) fill(child, asObject(data[d.obj]));
      else if (d.list !== undefined) fillList(child, Array.isArray(data[d.list]) ? data[d.list] : []);
      else if (child.tagName !== 'TEMPLATE') fill(child, data);
    }
  }

  /** Where a parse error is, as line and column, from the position JSON.parse names. */
  function where(message) {
    const at = /position (\d+)/.exec(message);
    if (!at) return '';
    const before = area.value.slice(0, Number(at[1]));
    const lines = before.split('\n');
    return status.dataset.msgWhere
      .replace('{line}', String(lines.length))
      .replace('{column}', String(lines[lines.length - 1].length + 1));
  }
  function showStatus(text) {
    if (!status) return;
    status.textContent = text;
    if (text) area.setAttribute('aria-invalid', 'true');
    else area.removeAttribute('aria-invalid');
  }
  function fromJson() {
    let data;
    try {
      data = JSON.parse(area.value);
    } catch (err) {
      const at = where(err.message);
      // The browser's own words for the problem, after the place in the screen's language.
      const problem = err.message.replace(/ \(line \d+ column \d+\)$/, '');
      showStatus(`${status.dataset.msgInvalid} ${at ? `${at}: ` : ''}${problem}`);
      return;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      showStatus(status.dataset.msgNotObject);
      return;
    }
    showStatus('');
    lastGood = data;
    fill(root, data);
    chooseLanguagesInUse();
  }

  // The languages chosen above show their fields; a language the JSON brings texts in is chosen for it.
  function showLanguage(lang, on) {
    for (const el of root.querySelectorAll(`[data-lang="${lang}"]`)) el.hidden = !on;
  }
  function chooseLanguagesInUse() {
    for (const box of root.querySelectorAll('[data-languages] input[type=checkbox]')) {
      const used = [...root.querySelectorAll(`[data-lang="${box.value}"] [data-key]`)].some((el) =>
        el.value.trim(),
      );
      if (used && !box.checked) {
        box.checked = true;
        showLanguage(box.value, true);
      }
    }
  }
  root.querySelector('[data-languages]')?.addEventListener('change', (e) => {
    if (e.target.type === 'checkbox') showLanguage(e.target.value, e.target.checked);
  });
  chooseLanguagesInUse();

  root.addEventListener('input', serialize);
  root.addEventListener('change', serialize);
  area.addEventListener('input', () => {
    if (writing) return;
    // Refill once typing pauses: a half-typed document is not an error worth announcing on every key.
    clearTimeout(timer);
    timer = setTimeout(fromJson, 250);
  });
  root.addEventListener('click', (e) => {
    const add = e.target.closest('[data-add]');
    const remove = e.target.closest('[data-remove]');
    if (add) {
      addItem(add.closest('[data-list]'));
    } else if (remove) {
      remove.closest('[data-item]').remove();
      serialize();
    }
  });
})();
