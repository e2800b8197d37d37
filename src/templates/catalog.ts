import type { TemplateCatalog } from '../lti/template-catalog.js';
import { textIn } from '../i18n/languages.js';
import type { TemplateData } from './schema.js';
import { Template } from './template-model.js';

/** An institution's published templates, newest version of each, as deep linking and the course screens offer them. */
export const publishedTemplateCatalog: TemplateCatalog = {
  async listPublishedTemplates({ institutionId }) {
    const published = await Template.find(
      { institutionId, status: 'published' },
      { key: 1, version: 1, data: 1 },
    )
      .sort({ key: 1, version: -1 })
      .lean();
    const newest = new Map<string, (typeof published)[number]>();
    for (const t of published) if (!newest.has(t.key)) newest.set(t.key, t);
    return [...newest.values()].map((t) => {
      const data = t.data as TemplateData;
      return {
        id: t.key,
        name: textIn(data.title, 'en') ?? t.key,
        ...(data.description ? { description: textIn(data.description, 'en') } : {}),
      };
    });
  },
};
