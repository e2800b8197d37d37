import type { Translate } from '../../i18n/catalogs.js';
import type { Language } from '../../i18n/languages.js';
import type { CourseCharts } from '../../issuance/course-charts.js';
import { html, type Html } from '../../render/html.js';

/**
 * A course's charts as SVG drawn on the server: no script, nothing fetched. Each figure's picture is hidden from
 * assistive technology and its numbers follow as a table that screen readers read instead, so the chart says
 * nothing the table does not. (The table sits in a hidden block: a table itself cannot be narrower than its cells.)
 */
const WIDTH = 640;

function figure(id: string, caption: string, svg: Html, table: Html, wide = false): Html {
  return html`<figure class="chart${wide ? ' chart-wide' : ''}" id="${id}">
    <figcaption>${caption}</figcaption>
    ${svg}
    <div class="visually-hidden">
      <table>
        <caption>
          ${caption}
        </caption>
        ${table}
      </table>
    </div>
  </figure>`;
}

/** The picture: scaled to its box, hidden from assistive technology (the table says the same). */
function svgFrame(height: number, body: Html, width = WIDTH): Html {
  return html`<svg
    viewBox="0 0 ${width} ${height}"
    width="100%"
    aria-hidden="true"
    focusable="false"
    class="chart-svg"
  >
    ${body}
  </svg>`;
}

/** A chart's numbers: one header row, then a row per bar whose first cell names it. */
function numbers(heads: string[], rows: (string | Html)[][]): Html {
  return html`<thead>
      <tr>
        ${heads.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        ([name, ...cells]) =>
          html`<tr>
            <th scope="row">${name}</th>
            ${cells.map((c) => html`<td>${c}</td>`)}
          </tr>`,
      )}
    </tbody>`;
}

const n = (value: number, lang: Language) => new Intl.NumberFormat(lang).format(value);
/** A percentage the reader's way ("60 %" in French and German). */
const percent = (value: number, lang: Language) =>
  new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(value / 100);

/** Learners who show each outcome, out of the learners the sync read: one horizontal bar each. */
function attainment(data: CourseCharts, outcomes: string[], id: string, t: Translate, lang: Language): Html {
  const row = 30;
  // Across the whole grid: a wider drawing, so that its text stays the size of the other charts'.
  const wide = WIDTH * 1.6;
  const label = 420;
  const bar = wide - label - 100;
  const height = data.outcomes.length * row + 8;
  const svg = svgFrame(
    height,
    html` ${data.outcomes.map((o, i) => {
      const y = i * row + 4;
      const share = data.learners ? o.met / data.learners : 0;
      const title = outcomes[o.outcome] ?? `#${o.outcome + 1}`;
      return html`<text x="0" y="${y + 17}" class="chart-label">
          ${title.length > 50 ? `${title.slice(0, 49)}…` : title}
        </text>
        <rect x="${label}" y="${y}" width="${bar}" height="22" class="bar-rest" />
        <rect x="${label}" y="${y}" width="${Math.round(bar * share)}" height="22" class="bar-met" />
        <text x="${label + bar + 8}" y="${y + 17}" class="chart-value">
          ${n(o.met, lang)} / ${n(data.learners, lang)}
        </text>`;
    })}`,
    wide,
  );
  const table = numbers(
    [t('chart.outcome'), t('chart.shownBy'), t('chart.learners')],
    data.outcomes.map((o) => [
      outcomes[o.outcome] ?? `#${o.outcome + 1}`,
      n(o.met, lang),
      n(data.learners, lang),
    ]),
  );
  return figure(id, t('chart.attainment'), svg, table, true);
}

/** One assessment's grades in tenths of the scale, coloured by which side of the threshold they fall. */
function distance(d: CourseCharts['distance'][number], id: string, t: Translate, lang: Language): Html {
  const height = 170;
  const base = 130;
  const left = 30;
  const step = (WIDTH - left - 10) / 10;
  const most = Math.max(1, ...d.bins);
  const side = (i: number) =>
    (i + 1) * 10 <= d.needed ? 'bar-below' : i * 10 >= d.needed ? 'bar-above' : 'bar-mixed';
  const x = left + (d.needed / 100) * step * 10;
  const range = (i: number) =>
    new Intl.NumberFormat(lang, { style: 'percent' }).formatRange(i / 10, i === 9 ? 1 : (i * 10 + 9) / 100);
  const caption = t('chart.distance', { item: d.item, needed: n(d.needed, lang) });
  const svg = svgFrame(
    height,
    html` ${d.bins.map((count, i) => {
        const h = Math.round((count / most) * (base - 20));
        const bx = left + i * step + 3;
        return html`<rect x="${bx}" y="${base - h}" width="${step - 6}" height="${h}" class="${side(i)}" />
          ${count ? html`<text x="${bx + (step - 6) / 2}" y="${base - h - 4}" class="chart-value" text-anchor="middle">${n(count, lang)}</text>` : ''}
          <text x="${left + i * step}" y="${base + 16}" class="chart-axis">${i * 10}</text>`;
      })}
      <line x1="${left}" y1="${base}" x2="${WIDTH - 10}" y2="${base}" class="chart-baseline" />
      <line x1="${x}" y1="8" x2="${x}" y2="${base}" class="chart-threshold" />
      <text x="${x + 4}" y="18" class="chart-label">${percent(d.needed, lang)}</text>
      ${d.noGrade ? html`<text x="${left}" y="${height - 6}" class="chart-label">${t('chart.noGrade', { count: n(d.noGrade, lang) })}</text>` : ''}`,
  );
  const table = numbers(
    [t('chart.gradeRange'), t('chart.learners')],
    [
      ...d.bins.map((count, i) => [range(i), n(count, lang)]),
      ...(d.noGrade ? [[t('chart.noGradeRow'), n(d.noGrade, lang)]] : []),
    ],
  );
  return figure(id, caption, svg, table);
}

/** Credentials signed per period, one column each, oldest on the left. */
function issued(data: CourseCharts, id: string, t: Translate, lang: Language): Html {
  const height = 170;
  const base = 130;
  const step = (WIDTH - 20) / Math.max(1, data.issued.length);
  const most = Math.max(1, ...data.issued.map((p) => p.count));
  const day = (d: Date) => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
  const period = (p: CourseCharts['issued'][number]) =>
    p.days === 1
      ? day(p.from)
      : `${day(p.from)} – ${day(new Date(p.from.getTime() + (p.days - 1) * 86_400_000))}`;
  const first = data.issued[0];
  const last = data.issued.at(-1);
  const svg = svgFrame(
    height,
    html` ${data.issued.map((p, i) => {
        const h = Math.round((p.count / most) * (base - 20));
        const bx = 10 + i * step + 1;
        return html`<rect
            x="${bx}"
            y="${base - h}"
            width="${Math.max(1, step - 2)}"
            height="${h}"
            class="bar-met"
          />
          ${p.count && step >= 18 ? html`<text x="${bx + step / 2 - 1}" y="${base - h - 4}" class="chart-value" text-anchor="middle">${n(p.count, lang)}</text>` : ''}`;
      })}
      <line x1="10" y1="${base}" x2="${WIDTH - 10}" y2="${base}" class="chart-baseline" />
      ${first ? html`<text x="10" y="${base + 18}" class="chart-axis">${day(first.from)}</text>` : ''}
      ${last && last !== first ? html`<text x="${WIDTH - 10}" y="${base + 18}" class="chart-axis" text-anchor="end">${day(last.from)}</text>` : ''}`,
  );
  const table = numbers(
    [t('chart.period'), t('chart.credentials')],
    data.issued.map((p) => [period(p), n(p.count, lang)]),
  );
  return figure(id, t('chart.issued'), svg, table);
}

/** The course's charts for one binding: what its learners show, how close the others are, issuance over time. */
export function courseChartsBlock(
  bindingId: string,
  data: CourseCharts,
  outcomes: string[],
  t: Translate,
  lang: Language,
): Html {
  if (data.learners === 0 && data.issued.length === 0) return html``;
  return html`<details class="charts" open>
    <summary>${t('chart.heading')}</summary>
    <div class="chart-grid">
      ${data.learners ? attainment(data, outcomes, `c-${bindingId}-outcomes`, t, lang) : ''}
      ${data.distance.map((d, i) => (data.learners ? distance(d, `c-${bindingId}-d${i}`, t, lang) : ''))}
      ${data.issued.length ? issued(data, `c-${bindingId}-issued`, t, lang) : ''}
    </div>
  </details>`;
}
