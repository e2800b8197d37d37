import type { TemplateSummary } from '../../lti/template-catalog.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';

/**
 * The deep-linking picker: which credential the new activity offers. A grade column is offered only where the
 * LMS accepts one with the link (Moodle 4.5 does not: the dashboard adds the column through AGS instead).
 */
export function deepLinkPicker(
  templates: TemplateSummary[],
  options: { action: string; csrf: string; acceptLineItem: boolean },
  t: Translate,
): Html {
  return html`<p>${t('dlIntro')}</p>
    <form method="post" action="${options.action}" class="stack">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      ${
        templates.length
          ? html`<fieldset class="choices">
              <legend>${t('templates')}</legend>
              ${templates.map(
                (tpl, i) =>
                  html`<label class="choice"
                    ><input
                      type="radio"
                      name="templateId"
                      value="${tpl.id}"
                      ${i === 0 ? html`checked` : ''}
                    />
                    <strong>${tpl.name}</strong>${tpl.description ? html` — ${tpl.description}` : ''}</label
                  >`,
              )}
            </fieldset>`
          : html`<p class="empty">${t('dlNoTemplates')}</p>`
      }
      ${
        options.acceptLineItem
          ? html`<label
              ><input type="checkbox" name="lineItem" value="1" checked /> ${t('dlGradeColumn')}</label
            >`
          : ''
      }
      <div class="actions">
        <button type="submit" name="action" value="add" ${templates.length ? '' : html`disabled`}>
          ${t('add')}
        </button>
        <button type="submit" name="action" value="cancel">${t('cancel')}</button>
      </div>
    </form>`;
}
