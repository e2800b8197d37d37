import { z } from 'zod';
import { EU_LANGUAGES, type Language, type Multilingual } from '../i18n/languages.js';

/** Languages every multilingual text may carry: the 24 official EU languages, any of them, at least one. */
export const LANGUAGES = EU_LANGUAGES;
export type { Language, Multilingual };

const text = z.string().trim().min(1).max(4000);
export const multilingualSchema = z
  .strictObject(Object.fromEntries(EU_LANGUAGES.map((lang) => [lang, text.optional()])))
  .refine((v) => Object.keys(v).length > 0, 'problem.required') as unknown as z.ZodType<Multilingual>;

const httpUrl = z.url({ protocol: /^https?$/ });
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'problem.countryCode');
const isoDate = z.iso.date();

export const organisationSchema = z.strictObject({
  legalName: multilingualSchema,
  shortName: z.string().trim().min(1).max(100).optional(),
  country: countryCode,
  region: z.string().trim().min(1).max(200).optional(),
  homepage: httpUrl,
  email: z.email().optional(),
  identifiers: z
    .array(
      z.strictObject({ scheme: z.string().trim().min(1).max(100), value: z.string().trim().min(1).max(200) }),
    )
    .max(10)
    .optional(),
});
export type Organisation = z.infer<typeof organisationSchema>;

export const REUSABILITY_LEVELS = [
  'transversal',
  'cross-sector',
  'sector-specific',
  'occupation-specific',
] as const;
export const learningOutcomeSchema = z.strictObject({
  title: multilingualSchema,
  escoSkills: z
    .array(
      z.strictObject({
        uri: z.string().regex(/^http:\/\/data\.europa\.eu\/esco\/skill\/[0-9a-f-]{36}$/, 'problem.escoSkill'),
        label: multilingualSchema,
      }),
    )
    .max(20)
    .optional(),
  reusabilityLevel: z.enum(REUSABILITY_LEVELS).optional(),
});

export const ASSESSMENT_TYPES = [
  'graded-test',
  'ungraded-test',
  'project',
  'portfolio',
  'oral-examination',
  'written-examination',
  'practical-demonstration',
  'peer-assessment',
  'other',
] as const;
export const PARTICIPATION_MODES = ['online', 'onsite', 'blended'] as const;
export const PARTICIPATION_CONTEXTS = ['classroom', 'volunteering', 'work-based'] as const;
export const SUPERVISION_TYPES = [
  'unsupervised-no-id-check',
  'supervised-no-id-check',
  'supervised-online-with-id-check',
  'onsite-with-id-check',
] as const;
export const QUALITY_ASSURANCE_TYPES = [
  'accredited-provider',
  'accredited-programme',
  'external-review',
  'internal-quality-assurance',
] as const;
export const QF_EHEA_CYCLES = ['short', 'first', 'second', 'third'] as const;

/**
 * A micro-credential template as imported and exported (JSON). Every element field is optional here so that
 * an incomplete draft can be stored; publishing checks the mandatory elements (see elements.ts).
 */
export const templateSchema = z.strictObject({
  format: z.literal('credbridge-template/1'),
  key: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'problem.templateKey'),
  version: z.number().int().positive().optional(),
  status: z.enum(['draft', 'published', 'archived']).optional(),
  title: multilingualSchema.optional(),
  description: multilingualSchema.optional(),
  criteria: multilingualSchema.optional(),
  awardingBodies: z.array(organisationSchema).max(5).optional(),
  learningOutcomes: z.array(learningOutcomeSchema).max(50).optional(),
  workload: z
    .strictObject({
      ects: z.number().positive().max(60).optional(),
      hours: z.number().positive().max(2000).optional(),
    })
    .optional(),
  level: z
    .strictObject({
      eqf: z.number().int().min(1).max(8).optional(),
      qfEheaCycle: z.enum(QF_EHEA_CYCLES).optional(),
    })
    .optional(),
  assessment: z
    .strictObject({
      type: z.enum(ASSESSMENT_TYPES).optional(),
      title: multilingualSchema.optional(),
      description: multilingualSchema.optional(),
      gradingScheme: z
        .strictObject({ title: multilingualSchema, description: multilingualSchema.optional() })
        .optional(),
    })
    .optional(),
  participation: z
    .strictObject({
      mode: z.enum(PARTICIPATION_MODES).optional(),
      context: z.enum(PARTICIPATION_CONTEXTS).optional(),
      nonFormal: z.boolean().optional(),
    })
    .optional(),
  qualityAssurance: z
    .strictObject({
      type: z.enum(QUALITY_ASSURANCE_TYPES).optional(),
      title: multilingualSchema.optional(),
      description: multilingualSchema.optional(),
      accreditingAgent: organisationSchema
        .pick({ legalName: true, country: true, homepage: true })
        .optional(),
      decisionDate: isoDate.optional(),
      expiryDate: isoDate.optional(),
      reportUrl: httpUrl.optional(),
    })
    .optional(),
  // Optional elements of the Council Recommendation.
  prerequisites: multilingualSchema.optional(),
  supervision: z.enum(SUPERVISION_TYPES).optional(),
  gradeShown: z.boolean().optional(),
  stackability: z
    .strictObject({
      standalone: z.boolean(),
      partOf: z
        .array(z.strictObject({ title: multilingualSchema, url: httpUrl.optional() }))
        .max(10)
        .optional(),
      note: multilingualSchema.optional(),
    })
    .optional(),
  furtherInformation: z
    .strictObject({ note: multilingualSchema.optional(), url: httpUrl.optional() })
    .optional(),
  // Presentation and validity.
  thematicArea: z
    .string()
    .regex(/^\d{2,4}$/, 'problem.iscedCode')
    .optional(),
  instructionLanguage: z.enum(LANGUAGES).optional(),
  badgeImage: z
    .strictObject({
      url: httpUrl.optional(),
      dataUri: z
        .string()
        .regex(
          /^data:image\/(png|svg\+xml|jpeg);base64,[A-Za-z0-9+/=]+$/,
          'a base64 data: URI of a PNG, SVG or JPEG',
        )
        .max(200_000)
        .optional(),
    })
    .refine((v) => v.url || v.dataUri, 'problem.urlOrDataUri')
    .optional(),
  validity: z.strictObject({ months: z.number().int().positive().max(600) }).optional(),
});
export type TemplateData = z.infer<typeof templateSchema>;
