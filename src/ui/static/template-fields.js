/* global document, Event */
// The field-by-field template editor: serializes the fields into the JSON editor's textarea (which the form
// posts and live validation checks). Keys the fields do not cover are kept from the JSON as it was.
'use strict';
(() => {
  const root = document.querySelector('[data-fields]');
  const area = document.getElementById('template-json');
  if (!root || !area) return;
  const covered = root.dataset.covered.split(' ');
  let added = 0;

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
    let base = {};
    try {
      base = JSON.parse(area.value);
    } catch {
      base = {};
    }
    const out = { format: 'credbridge-template/1' };
    for (const [k, v] of Object.entries(base)) if (!covered.includes(k)) out[k] = v;
    Object.assign(out, walk(root, {}));
    area.value = JSON.stringify(out, null, 2);
    area.dispatchEvent(new Event('input'));
  }

  root.addEventListener('input', serialize);
  root.addEventListener('change', serialize);
  root.addEventListener('click', (e) => {
    const add = e.target.closest('[data-add]');
    const remove = e.target.closest('[data-remove]');
    if (add) {
      const list = add.closest('[data-list]');
      const tpl = list.querySelector(':scope > template');
      const item = tpl.content.cloneNode(true);
      added += 1;
      for (const el of item.querySelectorAll('[id]')) el.id = `${el.id}-n${added}`;
      for (const el of item.querySelectorAll('label[for]')) el.htmlFor = `${el.htmlFor}-n${added}`;
      for (const el of item.querySelectorAll('[aria-describedby]'))
        el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby')}-n${added}`);
      list.querySelector(':scope > .items').appendChild(item);
    } else if (remove) {
      remove.closest('[data-item]').remove();
      serialize();
    }
  });
})();
