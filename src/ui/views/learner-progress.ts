import type { Translate } from '../../i18n/catalogs.js';
import type { Language } from '../../i18n/languages.js';
import { html, type Html } from '../../render/html.js';
import type { OfferedCredential } from '../learner-progress.js';
import { checkWords } from '../reasons.js';
import { formatDate } from './credential-card.js';

/** The rule in plain words: how many outcomes, and the course total when the rule asks for one. */
function ruleWords(o: OfferedCredential, t: Translate): string {
  const outcomes = o.rule.all
    ? t('progress.ruleAll', { count: o.rule.of })
    : t('progress.ruleSome', { needed: o.rule.needed, of: o.rule.of });
  return o.rule.minCourseTotalPercent === undefined
    ? outcomes
    : `${outcomes} ${t('progress.ruleCourseTotal', { needed: o.rule.minCourseTotalPercent })}`;
}

function standing(o: OfferedCredential, t: Translate): Html {
  if (o.standing === 'earned') return html`<p class="standing standing-earned">${t('progress.earned')}</p>`;
  if (o.standing === 'not-read') return html`<p class="standing">${t('progress.notRead')}</p>`;
  const met = o.outcomes.filter((x) => x.met).length;
  return html`<p class="standing">
    <meter min="0" max="${o.rule.needed}" value="${Math.min(met, o.rule.needed)}"></meter>
    ${t('progress.metCount', { met, needed: o.rule.needed })}
  </p>`;
}

/**
 * Each credential offered, with the learner's standing: every outcome shown or not, each piece of evidence against
 * its threshold, and what is still needed. Met and unmet are said in words, not by colour or mark alone.
 */
export function learnerProgress(offers: OfferedCredential[], t: Translate, lang: Language): Html {
  if (offers.length === 0) return html``;
  return html`<section class="progress" aria-labelledby="progress-heading">
    <h2 id="progress-heading">${t('progress.heading')}</h2>
    ${offers.map(
      (o) =>
        html`<article class="offer offer-${o.standing}" data-binding="${o.bindingId}">
          <h3>${o.title}</h3>
          ${o.courseTitle ? html`<p class="course">${t('progress.inCourse', { course: o.courseTitle })}</p>` : ''}
          <p class="rule">${ruleWords(o, t)}</p>
          ${standing(o, t)}
          ${
            o.standing === 'in-progress'
              ? html`<ol class="outcomes">
                    ${o.outcomes.map(
                      (x) =>
                        html`<li class="${x.met ? 'met' : 'unmet'}">
                          <span class="outcome-state"
                            >${x.met ? t('progress.outcomeMet') : t('progress.outcomeNotMet')}</span
                          >
                          <span class="outcome-title">${x.title}</span>
                          ${
                            x.checks.length
                              ? html`<ul class="checks">
                                  ${x.checks.map(
                                    (c) =>
                                      html`<li class="${c.met ? 'met' : 'unmet'}">
                                        ${checkWords(c, t, lang)}
                                      </li>`,
                                  )}
                                </ul>`
                              : ''
                          }
                        </li>`,
                    )}
                  </ol>
                  ${
                    o.courseTotal
                      ? html`<p class="course-total ${o.courseTotal.met ? 'met' : 'unmet'}">
                          ${checkWords(
                            {
                              met: o.courseTotal.met,
                              seen:
                                o.courseTotal.percent === undefined
                                  ? { kind: 'courseTotal', needed: o.courseTotal.needed }
                                  : {
                                      kind: 'courseTotal',
                                      percent: o.courseTotal.percent,
                                      needed: o.courseTotal.needed,
                                    },
                            },
                            t,
                            lang,
                          )}
                        </p>`
                      : ''
                  }
                  ${
                    o.missing.length
                      ? html`<p class="missing">
                          <strong>${t('progress.stillNeeded')}</strong>
                          ${o.missing.map((c) => checkWords(c, t, lang)).join('; ')}
                        </p>`
                      : ''
                  }`
              : ''
          }
          ${o.readAt && o.standing === 'in-progress' ? html`<p class="read-at">${t('progress.readAt', { date: formatDate(o.readAt, lang) })}</p>` : ''}
        </article>`,
    )}
  </section>`;
}
