import type { Rule } from '../../courses/rules.js';
import { LIST_STATES, PAGE_SIZE_DEFAULT, type ListState } from '../../issuance/listing.js';
import type { CourseCharts } from '../../issuance/course-charts.js';
import type { Progress } from '../../issuance/progress.js';
import { courseChartsBlock } from './charts.js';
import { REQUEST_STATES } from '../../issuance/request-model.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import type { Language } from '../../i18n/languages.js';
import type { MessageKey } from '../../i18n/catalogs.js';
import { formatDate } from './credential-card.js';

export interface TemplateChoice {
  key: string;
  version: number;
  title: string;
  outcomes: string[];
}

export interface ItemChoice {
  id: string;
  name: string;
  /** What picking it proves: a grade (with the percent threshold), a completion, a competency. */
  kind?: 'assessment' | 'activityCompletion' | 'competency' | 'courseCompletion';
}

export interface RequestRow {
  id: string;
  name: string;
  /** A request state, or `superseded`: a revoked credential a re-issue replaced (history, no actions). */
  state: string;
  issuedAt?: Date;
  reason: string;
  /** Superseded rows: the request (and credential) that replaced it, and why it was re-issued. */
  supersededBy?: string;
  reissueReason?: string;
  /** The superseded request this one replaced, when it is listed too. */
  replaces?: string;
}

export interface BindingPanel {
  id: string;
  title: string;
  enabled: boolean;
  regradePolicy: string;
  rule: Rule;
  outcomes: string[];
  progress: Progress;
  synced: boolean;
  requests: RequestRow[];
  /** Every current request of the binding, whatever its state. */
  total: number;
  page: ListPage;
  /** Learners the last sync read who do not meet the rule yet (the first of them), and what each lacks. */
  notYet: { name: string; missing: string[] }[];
  /** Whether holders are scored in an LMS gradebook column, and whether the LMS offers one (AGS). */
  gradebook: { has: boolean; available: boolean };
  /** What the last grade sync could not read, and what it noticed (the roster and the LMS API differ). */
  syncNotes: string[];
  /** The numbers behind the course's charts. */
  charts: CourseCharts;
}

/** The page of the issuance list shown: its filter, first row, size, and how many rows the filter has in all. */
export interface ListPage {
  state?: ListState;
  skip: number;
  limit: number;
  total: number;
  /** The dashboard's own address, which paging links and the filter form point to. */
  path: string;
}

const POLICIES = ['keep', 'suspend', 'revoke'] as const;

/** For each learning outcome: pick the course assessment that proves it, and the pass threshold. */
function mappingFields(
  prefix: string,
  outcomes: string[],
  items: ItemChoice[],
  t: Translate,
  rule?: Rule,
): Html {
  return html`${outcomes.map((title, i) => {
    const mapped = rule?.outcomes.find((o) => o.outcome === i)?.evidence[0];
    const itemId =
      mapped?.kind === 'assessment'
        ? mapped.itemId
        : mapped?.kind === 'activityCompletion'
          ? mapped.activityId
          : mapped?.kind === 'competency'
            ? mapped.competencyId
            : '';
    const threshold =
      mapped?.kind === 'assessment' && mapped.threshold.unit === 'percent' ? mapped.threshold.value : 50;
    // A threshold means something for a grade only; for a completion or a competency it is hidden.
    const graded = !mapped || mapped.kind === 'assessment';
    return html`<fieldset class="outcome">
      <legend>${t('outcomeN', { n: i + 1 })}: ${title}</legend>
      <div class="row">
        <span class="field"
          ><label for="${prefix}-item-${i}">${t('provedBy')}</label>
          <select id="${prefix}-item-${i}" name="item-${i}" data-outcome="${i}">
            <option value="">${t('notMapped')}</option>
            ${items.map((it) => html`<option value="${it.id}" data-kind="${it.kind ?? 'assessment'}" ${it.id === itemId ? html` selected` : ''}>${it.name}</option>`)}
          </select></span
        >
        <span class="field threshold" ${graded ? '' : html`hidden`}
          ><label for="${prefix}-threshold-${i}">${t('thresholdPercent')}</label>
          <input
            id="${prefix}-threshold-${i}"
            name="threshold-${i}"
            type="number"
            min="0"
            max="100"
            step="1"
            value="${threshold}"
            inputmode="numeric"
        /></span>
      </div>
    </fieldset>`;
  })}`;
}

function policySelect(id: string, current: string, t: Translate): Html {
  return html`<span class="field"
    ><label for="${id}">${t('regradePolicy')}</label>
    <select id="${id}" name="regradePolicy">
      ${POLICIES.map(
        (p) =>
          html`<option value="${p}" ${p === current ? html` selected` : ''}>${t(`policy.${p}`)}</option>`,
      )}
    </select></span
  >`;
}

export function enableSection(
  templates: TemplateChoice[],
  items: ItemChoice[],
  itemsProblem: string,
  t: Translate,
  placed?: TemplateChoice,
): Html {
  return html`<section aria-labelledby="enable-h" class="panel">
    <h2 id="enable-h">${t('enableCredential')}</h2>
    ${placed ? html`<p class="notice" role="status">${t('placedFor', { title: placed.title })}</p>` : ''}
    ${itemsProblem ? html`<p class="warning">${itemsProblem}</p>` : ''}
    ${
      templates.length
        ? templates.map(
            (tpl) =>
              html`<form
                class="enable-form stack"
                data-template="${tpl.key}"
                aria-labelledby="enable-${tpl.key}"
              >
                <h3 id="enable-${tpl.key}">${tpl.title} <small>v${tpl.version}</small></h3>
                ${mappingFields(`en-${tpl.key}`, tpl.outcomes, items, t)}
                ${policySelect(`en-${tpl.key}-policy`, 'keep', t)}
                <button type="submit">${t('enable')}</button>
                <p class="form-error" role="alert" aria-live="assertive"></p>
              </form>`,
          )
        : html`<p class="empty">${t('noTemplatesToEnable')}</p>`
    }
  </section>`;
}

function counts(p: Progress, t: Translate): Html {
  // Those who do not meet the rule yet, then each request state, in the order a request goes through them.
  const states = ['waiting', ...REQUEST_STATES] as const;
  return html`${states.map(
    (s) => html`<span class="count" data-count="${s}">${t(`state.${s}`)}: <b>${p[s]}</b></span> `,
  )}`;
}

function requestActions(r: RequestRow, t: Translate): Html {
  if (r.state === 'failed')
    return html`<button type="button" class="retry" data-request="${r.id}">${t('retryIssuing')}</button>`;
  // A revoked credential stays revoked; re-issuing gives the learner a new one.
  if (r.state === 'revoked')
    return html`<form class="reissue-form inline" data-request="${r.id}">
      <label for="ri-${r.id}" class="visually-hidden">${t('reason')}</label>
      <input id="ri-${r.id}" name="reason" required minlength="5" placeholder="${t('reason')}" />
      <button type="submit">${t('reissue')}</button>
    </form>`;
  if (r.state !== 'issued' && r.state !== 'suspended') return html``;
  const options =
    r.state === 'issued' ? (['suspended', 'revoked'] as const) : (['active', 'revoked'] as const);
  return html`<form class="status-form inline" data-request="${r.id}">
    <label for="st-${r.id}" class="visually-hidden">${t('action')}</label>
    <select id="st-${r.id}" name="status">
      ${options.map((o) => html`<option value="${o}">${t(`do.${o}`)}</option>`)}
    </select>
    <label for="re-${r.id}" class="visually-hidden">${t('reason')}</label>
    <input id="re-${r.id}" name="reason" required minlength="5" placeholder="${t('reason')}" />
    <button type="submit">${t('apply')}</button>
  </form>`;
}

function requestRow(r: RequestRow, t: Translate, lang: Language): Html {
  return html`<tr id="r-${r.id}" data-request-row="${r.id}">
    <td>${r.name}</td>
    <td>
      <span class="state state-${r.state}">${t(`state.${r.state}` as MessageKey)}</span>
    </td>
    <td>${r.issuedAt ? formatDate(r.issuedAt, lang) : ''}</td>
    <td>
      ${r.reason}
      ${r.replaces ? html`<span class="replaces">${t('replaces')}: <a href="#r-${r.replaces}">${r.replaces}</a></span>` : ''}
    </td>
    <td>${requestActions(r, t)}</td>
  </tr>`;
}

/** A credential a re-issue replaced: marked replaced, with its (revoked) credential id and its replacement. */
function supersededRow(r: RequestRow, t: Translate, lang: Language): Html {
  return html`<tr id="r-${r.id}" class="superseded" data-superseded-row="${r.id}">
    <td>${r.name}</td>
    <td><span class="state state-superseded">${t('state.superseded')}</span></td>
    <td>${r.issuedAt ? formatDate(r.issuedAt, lang) : ''}</td>
    <td>
      ${r.reason}
      ${r.reissueReason ? html`<span class="replaces">${t('reissueReason')}: ${r.reissueReason}</span>` : ''}
    </td>
    <td class="history">
      <span>${t('revokedCredential')}: <code>${r.id}</code></span>
      <span>${t('replacedBy')}: <a href="#r-${r.supersededBy}">${r.supersededBy}</a></span>
    </td>
  </tr>`;
}

/** The dashboard address showing another page or filter of one binding's list (defaults left out). */
function pageHref(bindingId: string, page: ListPage, skip: number): string {
  const query = new URLSearchParams({ binding: bindingId });
  if (page.state) query.set('state', page.state);
  if (skip > 0) query.set('skip', String(skip));
  if (page.limit !== PAGE_SIZE_DEFAULT) query.set('limit', String(page.limit));
  return `${page.path}?${query}#b-${bindingId}`;
}

/** Filter by state: a plain GET form, so it works without scripts; changing the filter starts at page one. */
function listFilter(b: BindingPanel, t: Translate): Html {
  const { page } = b;
  return html`<form class="list-filter inline" method="get" action="${page.path}#b-${b.id}">
    <input type="hidden" name="binding" value="${b.id}" />
    ${page.limit !== PAGE_SIZE_DEFAULT ? html`<input type="hidden" name="limit" value="${page.limit}" />` : ''}
    <label for="f-${b.id}">${t('status')}</label>
    <select id="f-${b.id}" name="state">
      <option value="">${t('allStates')}</option>
      ${LIST_STATES.map(
        (s) =>
          html`<option value="${s}" ${s === page.state ? html` selected` : ''}>${t(`state.${s}`)}</option>`,
      )}
    </select>
    <button type="submit">${t('showList')}</button>
  </form>`;
}

/** Where the page is in the list ("Showing 201–400 of 5,000"), and links to the pages before and after. */
function pager(b: BindingPanel, t: Translate, lang: Language): Html {
  const { page } = b;
  const n = new Intl.NumberFormat(lang);
  const lastStart = Math.max(0, Math.floor((page.total - 1) / page.limit) * page.limit);
  const past = page.skip >= page.total;
  const prev = page.skip > 0 ? Math.min(Math.max(0, page.skip - page.limit), lastStart) : undefined;
  const next = page.skip + page.limit < page.total ? page.skip + page.limit : undefined;
  return html`<nav class="pager" aria-label="${t('listPages', { title: b.title })}">
    <p class="range" data-range>
      ${
        past
          ? t('pastEnd', { total: n.format(page.total) })
          : t('showingRange', {
              from: n.format(page.skip + 1),
              to: n.format(Math.min(page.skip + page.limit, page.total)),
              total: n.format(page.total),
            })
      }
    </p>
    ${prev === undefined ? '' : html`<a class="button" rel="prev" href="${pageHref(b.id, page, prev)}">${t('previousPage')}</a>`}
    ${next === undefined ? '' : html`<a class="button" rel="next" href="${pageHref(b.id, page, next)}">${t('nextPage')}</a>`}
  </nav>`;
}

/** Whether holders show in the LMS gradebook, and the way to add the column where the LMS offers one. */
function gradebookBlock(b: BindingPanel, t: Translate): Html {
  if (b.gradebook.has) return html`<p class="gradebook">${t('hasGradebookColumn')}</p>`;
  if (!b.gradebook.available) return html``;
  return html`<p class="gradebook">
    ${t('gradebookColumnIntro')}
    <button type="button" class="gradebook-column">${t('addGradebookColumn')}</button>
  </p>`;
}

/** Who the last sync read but does not meet the rule yet, each with what is missing. */
function notYetList(b: BindingPanel, t: Translate): Html {
  if (!b.progress.waiting) return html``;
  const more = b.progress.waiting - b.notYet.length;
  return html`<details class="not-yet">
    <summary>${t('notYet')} <small>(${b.progress.waiting})</small></summary>
    <ul>
      ${b.notYet.map(
        (l) =>
          html`<li>
            <strong>${l.name}</strong
            >${l.missing.length ? html` — ${t('missing')}: ${l.missing.join('; ')}` : ''}
          </li>`,
      )}
    </ul>
    ${more > 0 ? html`<p>${t('andMore', { count: more })}</p>` : ''}
  </details>`;
}

export function bindingSection(
  b: BindingPanel,
  items: ItemChoice[],
  t: Translate,
  lang: Language,
  api: string,
): Html {
  const base = `${api}/bindings/${b.id}`;
  const shown = b.synced ? b.progress.percentDone : 0;
  return html`<section
    class="panel binding"
    aria-labelledby="b-${b.id}"
    data-binding="${b.id}"
    data-base="${base}"
  >
    <h2 id="b-${b.id}">
      ${b.title}
      <span class="state ${b.enabled ? 'state-valid' : 'state-suspended'}"
        >${b.enabled ? t('enabled') : t('disabled')}</span
      >
    </h2>
    <div class="actions">
      <button type="button" class="toggle" data-enabled="${b.enabled ? 'true' : 'false'}">
        ${b.enabled ? t('disable') : t('enable')}
      </button>
      <button type="button" class="sync">${t('syncNow')}</button>
      <button type="button" class="dry-run">${t('dryRun')}</button>
      <a class="button" href="${base}/requests.csv" download>${t('exportCsv')}</a>
    </div>
    <p class="form-error" role="alert" aria-live="assertive"></p>
    <div class="progress-box">
      <label for="p-${b.id}">${t('issuanceProgress')}</label>
      <progress id="p-${b.id}" max="100" value="${shown}" data-progress-url="${base}/progress">
        ${shown}%
      </progress>
      <span class="percent" aria-live="polite">${shown}%</span>
      <p class="counts">${counts(b.progress, t)}</p>
    </div>
    ${courseChartsBlock(b.id, b.charts, b.outcomes, t, lang)}
    ${
      b.syncNotes.length
        ? html`<div class="sync-notes">
            <p>${t('syncNotes')}</p>
            <ul>
              ${b.syncNotes.map((n) => html`<li>${n}</li>`)}
            </ul>
          </div>`
        : ''
    }
    ${gradebookBlock(b, t)} ${notYetList(b, t)}
    <details class="mapping">
      <summary>${t('editMapping')}</summary>
      <form class="map-form stack">
        ${mappingFields(`map-${b.id}`, b.outcomes, items, t, b.rule)}
        ${policySelect(`map-${b.id}-policy`, b.regradePolicy, t)}
        <button type="submit">${t('save')}</button>
      </form>
    </details>
    <div class="dry-run-result" aria-live="polite"></div>
    <h3>${t('learners')} <small>(${b.total})</small></h3>
    ${b.total || b.page.state ? listFilter(b, t) : ''} ${b.page.total || b.page.skip ? pager(b, t, lang) : ''}
    ${
      b.requests.length
        ? html`<div class="table-wrap">
            <table class="requests">
              <caption class="visually-hidden">
                ${t('learners')}: ${b.title}
              </caption>
              <thead>
                <tr>
                  <th scope="col">${t('learner')}</th>
                  <th scope="col">${t('status')}</th>
                  <th scope="col">${t('issuedOn')}</th>
                  <th scope="col">${t('reason')}</th>
                  <th scope="col">${t('action')}</th>
                </tr>
              </thead>
              <tbody>
                ${b.requests.map((r) => (r.supersededBy ? supersededRow(r, t, lang) : requestRow(r, t, lang)))}
              </tbody>
            </table>
          </div>`
        : b.page.skip
          ? ''
          : html`<p class="empty">${b.page.state ? t('noneInState') : t('noRequestsYet')}</p>`
    }
  </section>`;
}
