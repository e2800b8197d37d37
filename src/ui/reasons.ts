import type { EvidenceCheck, Shortfall } from '../courses/rules.js';
import type { Translate } from '../i18n/catalogs.js';
import type { Language } from '../i18n/languages.js';

/**
 * Why a request is where it is, in the reader's words. The stored values stay machine values (`statusReason:
 * 'regrade'`, `shortfalls` as data); this is the one place that turns them into a sentence, so the dashboard,
 * the API, the CSV and the learner's page say the same thing.
 */

/** What a reason is, for programs: the words beside it are for people. */
export type ReasonCode = 'regrade' | 'regrade-flag' | 'instructor' | 'issue-error';

export interface ReasonFields {
  state: string;
  statusReason?: string | null;
  lastError?: string | null;
  flagged?: string | null;
  shortfalls?: unknown[] | null;
}

/** One shortfall in the reader's language, numbers formatted their way ("40,5%" in German). */
function shortfallWords(s: Shortfall, t: Translate, lang: Language): string {
  const n = (value: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(value);
  switch (s.kind) {
    case 'noGrade':
      return t('shortfall.noGrade', { item: s.item });
    case 'percent':
      return t('shortfall.percent', { item: s.item, percent: n(s.percent), needed: n(s.needed) });
    case 'points':
      return t('shortfall.points', { item: s.item, points: n(s.points), needed: n(s.needed) });
    case 'passMark':
      return t('shortfall.passMark', { item: s.item, points: n(s.points), passMark: n(s.passMark) });
    case 'noPassMark':
      return t('shortfall.noPassMark', { item: s.item });
    case 'notCompleted':
      return t(s.withPass ? 'shortfall.notPassed' : 'shortfall.notCompleted', { item: s.item });
    case 'failed':
      return t('shortfall.failed', { item: s.item });
    case 'notProficient':
      return t('shortfall.notProficient', { item: s.item });
    case 'courseNotCompleted':
      return t('shortfall.courseNotCompleted');
    case 'courseTotal':
      return s.percent === undefined
        ? t('shortfall.noCourseTotal', { needed: n(s.needed) })
        : t('shortfall.courseTotal', { percent: n(s.percent), needed: n(s.needed) });
  }
}

/**
 * One piece of evidence as the learner's progress shows it: the numbers against the threshold whether met or not
 * ("Quiz 1 is 80%, 50% needed"), or what was done.
 */
export function checkWords(check: EvidenceCheck, t: Translate, lang: Language): string {
  const seen = check.seen;
  switch (seen.kind) {
    case 'completed':
      return t(seen.withPass ? 'shown.passed' : 'shown.completed', { item: seen.item });
    case 'proficient':
      return t('shown.proficient', { item: seen.item });
    case 'courseCompleted':
      return t('shown.courseCompleted');
    default:
      return shortfallWords(seen, t, lang);
  }
}

/**
 * What the learner lacks, joined. Requests a regrade acted on before shortfalls were kept have only the
 * English flag: its details are better than nothing.
 */
export function missingWords(r: Pick<ReasonFields, 'shortfalls' | 'flagged'>, t: Translate, lang: Language) {
  if (r.shortfalls?.length)
    return (r.shortfalls as Shortfall[]).map((s) => shortfallWords(s, t, lang)).join('; ');
  return r.flagged?.replace(/^no longer meets the rule: /, '') || t('shortfall.unknown');
}

/** Whether a suspension or revocation is the regrade policy's, and so has a reason in words. */
export function regradeState(r: ReasonFields): 'suspended' | 'revoked' | undefined {
  if (r.statusReason !== 'regrade') return undefined;
  return r.state === 'suspended' || r.state === 'revoked' ? r.state : undefined;
}

/** The reason column of the instructor's list (dashboard, API, CSV): words and their code, or none. */
export function requestReason(
  r: ReasonFields,
  t: Translate,
  lang: Language,
): { reason: string; reasonCode?: ReasonCode } {
  if (r.lastError) return { reason: r.lastError, reasonCode: 'issue-error' };
  const regraded = regradeState(r);
  if (regraded)
    return {
      reason: t(`regradeReason.${regraded}`, { missing: missingWords(r, t, lang) }),
      reasonCode: 'regrade',
    };
  if (r.statusReason) return { reason: r.statusReason, reasonCode: 'instructor' };
  if (r.flagged)
    return {
      reason: t('regradeReason.flagged', { missing: missingWords(r, t, lang) }),
      reasonCode: 'regrade-flag',
    };
  return { reason: '' };
}
