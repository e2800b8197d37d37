/* global document, fetch, location, setTimeout */
// The instructor dashboard: writes through the issuance JSON API (X-CSRF-Token), live progress by polling.
'use strict';
(() => {
  const root = document.getElementById('dashboard');
  if (!root) return;
  const api = root.dataset.api;
  const msg = root.dataset;

  async function call(method, url, body) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        'x-csrf-token': root.dataset.csrf,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || `${msg.msgError} (${res.status})`);
    return data;
  }

  function showError(near, err) {
    const box = near.querySelector('.form-error') || near.closest('section').querySelector('.form-error');
    if (box) box.textContent = err.message;
  }

  /** The evidence a picked option stands for: a grade with its percent threshold, a completion, a competency. */
  function evidenceOf(option, threshold) {
    switch (option.dataset.kind) {
      case 'activityCompletion':
        return { kind: 'activityCompletion', activityId: option.value, requirePass: true };
      case 'competency':
        return { kind: 'competency', competencyId: option.value };
      case 'courseCompletion':
        return { kind: 'courseCompletion' };
      default:
        return { kind: 'assessment', itemId: option.value, threshold: { unit: 'percent', value: threshold } };
    }
  }

  /** The rule a mapping form describes: each outcome with the evidence picked for it. */
  function ruleOf(form) {
    const outcomes = [];
    form.querySelectorAll('select[data-outcome]').forEach((select) => {
      if (!select.value) return;
      const i = Number(select.dataset.outcome);
      const threshold = Number(form.querySelector(`[name="threshold-${i}"]`).value || 0);
      outcomes.push({ outcome: i, evidence: [evidenceOf(select.selectedOptions[0], threshold)] });
    });
    return { outcomes };
  }

  // A threshold means something for a grade only: hidden while a completion or a competency is picked.
  document.addEventListener('change', (event) => {
    const select = event.target.closest('select[data-outcome]');
    if (!select) return;
    const field = select.closest('fieldset').querySelector('.threshold');
    const option = select.selectedOptions[0];
    if (field) field.hidden = Boolean(option && option.value && option.dataset.kind !== 'assessment');
  });

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    const section = form.closest('[data-base]');
    try {
      if (form.classList.contains('enable-form')) {
        event.preventDefault();
        await call('POST', `${api}/bindings`, {
          templateKey: form.dataset.template,
          source: root.dataset.source || 'ags',
          rule: ruleOf(form),
          regradePolicy: form.querySelector('[name="regradePolicy"]').value,
        });
        location.reload();
      } else if (form.classList.contains('map-form')) {
        event.preventDefault();
        await call('PUT', section.dataset.base, {
          rule: ruleOf(form),
          regradePolicy: form.querySelector('[name="regradePolicy"]').value,
        });
        location.reload();
      } else if (form.classList.contains('reissue-form')) {
        event.preventDefault();
        await call('POST', `${section.dataset.base}/requests/${form.dataset.request}/reissue`, {
          reason: form.querySelector('[name="reason"]').value,
        });
        location.reload();
      } else if (form.classList.contains('status-form')) {
        event.preventDefault();
        await call('POST', `${section.dataset.base}/requests/${form.dataset.request}/status`, {
          status: form.querySelector('[name="status"]').value,
          reason: form.querySelector('[name="reason"]').value,
        });
        location.reload();
      }
    } catch (err) {
      showError(form, err);
    }
  });

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.appendChild(td);
  }

  async function dryRun(section) {
    const out = section.querySelector('.dry-run-result');
    const data = await call('GET', `${section.dataset.base}/dry-run`);
    const table = document.createElement('table');
    const caption = table.createCaption();
    caption.textContent = msg.msgResult;
    const head = table.createTHead().insertRow();
    for (const label of [msg.msgLearner, msg.msgResult, msg.msgWhy]) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = label;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const row of data.rows) {
      const tr = body.insertRow();
      cell(tr, row.name || row.learnerId);
      cell(tr, row.qualified ? msg.msgQualified : msg.msgNotQualified);
      cell(tr, row.missing.join('; '));
    }
    out.replaceChildren();
    if (!data.complete) {
      const p = document.createElement('p');
      p.className = 'warning';
      p.textContent = `${msg.msgIncomplete} ${data.problems.join('; ')}`;
      out.appendChild(p);
    }
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    wrap.appendChild(table);
    out.appendChild(wrap);
  }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button');
    const section = button && button.closest('[data-base]');
    if (!section) return;
    try {
      if (button.classList.contains('toggle')) {
        await call('PUT', section.dataset.base, { enabled: button.dataset.enabled !== 'true' });
        location.reload();
      } else if (button.classList.contains('sync')) {
        button.disabled = true;
        await call('POST', `${section.dataset.base}/sync`);
        poll(section, true);
        button.disabled = false;
      } else if (button.classList.contains('dry-run')) {
        button.disabled = true;
        await dryRun(section).finally(() => {
          button.disabled = false;
        });
      } else if (button.classList.contains('retry')) {
        await call('POST', `${section.dataset.base}/requests/${button.dataset.request}/retry`);
        location.reload();
      } else if (button.classList.contains('gradebook-column')) {
        button.disabled = true;
        await call('POST', `${section.dataset.base}/gradebook-column`).finally(() => {
          button.disabled = false;
        });
        location.reload();
      }
    } catch (err) {
      showError(section, err);
    }
  });

  /** Polls the progress of one binding until its sync ran and no request is open. */
  function poll(section, restart) {
    const bar = section.querySelector('progress');
    const label = section.querySelector('.percent');
    if (section.dataset.polling === 'true' && !restart) return;
    section.dataset.polling = 'true';
    let rounds = 0;
    const tick = async () => {
      try {
        const { progress, sync } = await call('GET', bar.dataset.progressUrl);
        const synced = sync && sync.status && sync.status !== 'never' && sync.status !== 'running';
        const open = progress.queued + progress.signing;
        const value = synced ? progress.percentDone : 0;
        bar.value = value;
        bar.textContent = `${value}%`;
        label.textContent = `${value}%`;
        for (const el of section.querySelectorAll('[data-count]')) {
          el.querySelector('b').textContent = String(progress[el.dataset.count]);
        }
        // A failed sync is retried by the worker with backoff: keep watching (bounded by the rounds below).
        if (synced && sync.status !== 'failed' && open === 0 && (!restart || rounds > 1)) {
          section.dataset.polling = 'false';
          return;
        }
      } catch {
        // A failed poll is retried on the next round.
      }
      rounds += 1;
      if (rounds < 400) setTimeout(tick, 1500);
    };
    tick();
  }

  document.querySelectorAll('[data-base]').forEach((section) => poll(section, false));
})();
