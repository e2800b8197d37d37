import { BadgeImageError, checkedBadgeDataUri } from '../badges/badge-image.js';
import { checkPrintable, PRINT_BOXES } from '../badges/printable.js';
import { publishingProblems } from './elements.js';
import { describeIssues } from '../i18n/problems.js';
import { templateSchema, type TemplateData } from './schema.js';
import { Template } from './template-model.js';

export class TemplateError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_publishable' | 'not_found' | 'not_draft' | 'not_published',
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n  - ${problems.join('\n  - ')}` : message);
    this.name = 'TemplateError';
  }
}

export interface StoredTemplate {
  _id: unknown;
  institutionId: string;
  key: string;
  version: number;
  status: 'draft' | 'published' | 'archived';
  data: TemplateData;
}

async function parse(json: unknown): Promise<TemplateData> {
  const parsed = templateSchema.safeParse(json);
  if (!parsed.success)
    throw new TemplateError('invalid', 'template is not valid', describeIssues(parsed.error));
  const data = parsed.data;
  // The badge travels in every credential and shows on every page: a PNG must be whole, an SVG is sanitised.
  if (data.badgeImage?.dataUri) {
    try {
      data.badgeImage.dataUri = await checkedBadgeDataUri(data.badgeImage.dataUri);
      // The certificate prints it: drawn now, so one that cannot be is refused here rather than left out later.
      await checkPrintable(data.badgeImage.dataUri, PRINT_BOXES.badge);
    } catch (err) {
      if (!(err instanceof BadgeImageError)) throw err;
      throw new TemplateError('invalid', 'template is not valid', [`badgeImage.dataUri: ${err.message}`]);
    }
  }
  return data;
}

/** Imports template JSON as a new draft of the institution, one version after its latest of the same key. */
export async function importTemplate(institutionId: string, json: unknown): Promise<StoredTemplate> {
  const data = await parse(json);
  const latest = await Template.findOne({ institutionId, key: data.key }).sort({ version: -1 }).lean();
  const version = (latest?.version ?? 0) + 1;
  const created = await Template.create({
    institutionId,
    key: data.key,
    version,
    status: 'draft',
    data: { ...data, version, status: 'draft' },
  });
  return created.toObject() as unknown as StoredTemplate;
}

/** Replaces a draft's content; published and archived versions cannot change. */
export async function updateDraft(
  institutionId: string,
  key: string,
  version: number,
  json: unknown,
): Promise<StoredTemplate> {
  const data = await parse(json);
  if (data.key !== key) throw new TemplateError('invalid', 'the key of a template cannot change');
  const updated = await Template.findOneAndUpdate(
    { institutionId, key, version, status: 'draft' },
    { $set: { data: { ...data, version, status: 'draft' } } },
    { returnDocument: 'after' },
  ).lean();
  if (!updated)
    throw new TemplateError('not_draft', `template ${key} v${version} is not a draft (or does not exist)`);
  return updated as unknown as StoredTemplate;
}

/** Publishes a draft; refuses, naming each missing mandatory element, when the template is incomplete. */
export async function publishTemplate(
  institutionId: string,
  key: string,
  version: number,
): Promise<StoredTemplate> {
  const draft = await Template.findOne({ institutionId, key, version }).lean();
  if (!draft) throw new TemplateError('not_found', `no template ${key} v${version}`);
  if (draft.status !== 'draft')
    throw new TemplateError('not_draft', `template ${key} v${version} is ${draft.status}`);
  const problems = publishingProblems(draft.data as TemplateData);
  if (problems.length)
    throw new TemplateError('not_publishable', `template ${key} v${version} cannot be published`, problems);
  const now = new Date();
  const published = await Template.findOneAndUpdate(
    { institutionId, key, version, status: 'draft' },
    { $set: { status: 'published', publishedAt: now, 'data.status': 'published' } },
    { returnDocument: 'after' },
  ).lean();
  if (!published) throw new TemplateError('not_draft', `template ${key} v${version} changed meanwhile`);
  return published as unknown as StoredTemplate;
}

export async function archiveTemplate(
  institutionId: string,
  key: string,
  version: number,
): Promise<StoredTemplate> {
  const archived = await Template.findOneAndUpdate(
    { institutionId, key, version, status: 'published' },
    { $set: { status: 'archived', archivedAt: new Date(), 'data.status': 'archived' } },
    { returnDocument: 'after' },
  ).lean();
  if (!archived) throw new TemplateError('not_published', `template ${key} v${version} is not published`);
  return archived as unknown as StoredTemplate;
}

/** A new draft version copied from a published one: the way to change a published template. */
export async function newVersion(
  institutionId: string,
  key: string,
  fromVersion: number,
): Promise<StoredTemplate> {
  const source = await Template.findOne({ institutionId, key, version: fromVersion }).lean();
  if (!source) throw new TemplateError('not_found', `no template ${key} v${fromVersion}`);
  return importTemplate(institutionId, exportTemplate(source as unknown as StoredTemplate));
}

/** The import/export JSON of a stored version. */
export function exportTemplate(stored: StoredTemplate): TemplateData {
  return { ...stored.data, version: stored.version, status: stored.status };
}

/** Any stored version of the institution's template (draft, published or archived), for display. */
export async function findTemplateVersion(
  institutionId: string,
  key: string,
  version: number,
): Promise<StoredTemplate | undefined> {
  const found = await Template.findOne({ institutionId, key, version }).lean();
  return (found as unknown as StoredTemplate | null) ?? undefined;
}

/** The institution's published version of a template (the newest when no version is named). */
export async function findPublishedTemplate(
  institutionId: string,
  key: string,
  version?: number,
): Promise<StoredTemplate | undefined> {
  const query = version
    ? { institutionId, key, version, status: 'published' as const }
    : { institutionId, key, status: 'published' as const };
  const found = await Template.findOne(query).sort({ version: -1 }).lean();
  return (found as unknown as StoredTemplate | null) ?? undefined;
}
