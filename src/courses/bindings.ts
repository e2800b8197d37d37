import { z } from 'zod';
import { Refusal, type RefusalKind } from '../errors/refusal.js';
import { findIssuer, institutionIssuers } from '../issuers/issuers.js';
import { findPublishedTemplate } from '../templates/lifecycle.js';
import { CourseBinding, type CourseBindingDoc } from './binding-model.js';
import { ruleProblems, ruleSchema } from './rules.js';

/** A refused binding change; `details` lists each problem with the field it is about. */
export class BindingError extends Refusal {
  constructor(kind: RefusalKind, code: string, message: string, problems: string[] = []) {
    super(kind, code, message, problems);
    this.name = 'BindingError';
  }
}

/** The course a binding belongs to, as the launch recorded it. */
export interface CourseRef {
  institutionId: string;
  courseId: string;
  platformId: string;
  deploymentId: string;
  contextId: string;
  title?: string;
  lineItemsUrl?: string;
  membershipsUrl?: string;
}

export const enableSchema = z.strictObject({
  templateKey: z.string().min(1).max(63),
  templateVersion: z.number().int().positive().optional(),
  issuerId: z.string().min(1).max(63).optional(),
  rule: ruleSchema,
  source: z.enum(['ags', 'manual', 'moodle', 'canvas']).default('ags'),
  regradePolicy: z.enum(['keep', 'suspend', 'revoke']).default('keep'),
  writeBackLineItemUrl: z.url().optional(),
});

export const updateSchema = z.strictObject({
  rule: ruleSchema.optional(),
  regradePolicy: z.enum(['keep', 'suspend', 'revoke']).optional(),
  enabled: z.boolean().optional(),
  writeBackLineItemUrl: z.union([z.url(), z.literal('')]).optional(),
});

/** Zod issues as "field: message" lines, for errors that name the field. */
export function fieldProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new BindingError(
      'invalid',
      'invalid_input',
      'the binding is not valid',
      fieldProblems(parsed.error),
    );
  return parsed.data;
}

async function publishedTemplate(institutionId: string, key: string, version?: number) {
  const template = await findPublishedTemplate(institutionId, key, version);
  if (!template) {
    throw new BindingError('invalid', 'invalid_input', 'the binding is not valid', [
      `templateKey: no published template "${key}"${version ? ` version ${version}` : ''}`,
    ]);
  }
  return template;
}

/**
 * The issuer a course of the institution signs with: the one named, if the institution owns it, else the
 * institution's first. Another institution's issuer is "no issuer", as if it did not exist.
 */
async function institutionIssuer(institutionId: string, issuerId?: string) {
  if (issuerId) {
    const issuer = await findIssuer(issuerId);
    return issuer?.institutionId === institutionId ? issuer : undefined;
  }
  return (await institutionIssuers(institutionId))[0];
}

/**
 * Enables a published template of the course's institution in the course, with a rule checked against the
 * template's outcomes, signing with an issuer of the same institution.
 */
export async function enableTemplate(course: CourseRef, input: unknown): Promise<CourseBindingDoc> {
  const data = parse(enableSchema, input);
  const template = await publishedTemplate(course.institutionId, data.templateKey, data.templateVersion);
  const problems = ruleProblems(data.rule, template.data.learningOutcomes?.length ?? 0).map(
    (p) => `rule.${p}`,
  );
  const issuer = await institutionIssuer(course.institutionId, data.issuerId);
  if (!issuer)
    problems.push(
      data.issuerId
        ? `issuerId: no issuer "${data.issuerId}" in this institution`
        : 'issuerId: the institution has no issuer yet',
    );
  if (problems.length)
    throw new BindingError('invalid', 'invalid_input', 'the binding is not valid', problems);
  const exists = await CourseBinding.exists({ courseId: course.courseId, templateId: template.key });
  if (exists)
    throw new BindingError(
      'conflict',
      'already_enabled',
      `template "${template.key}" is already enabled in this course`,
    );
  return CourseBinding.create({
    ...course,
    courseTitle: course.title ?? '',
    templateId: template.key,
    templateVersion: template.version,
    issuerId: issuer!._id,
    rule: data.rule,
    source: {
      kind: data.source,
      lineItemsUrl: course.lineItemsUrl ?? '',
      membershipsUrl: course.membershipsUrl ?? '',
    },
    regradePolicy: data.regradePolicy,
    writeBackLineItemUrl: data.writeBackLineItemUrl ?? '',
  });
}

/** Changes a binding's rule, policy or state; a new rule is checked against the pinned template version. */
export async function updateBinding(binding: CourseBindingDoc, input: unknown): Promise<CourseBindingDoc> {
  const data = parse(updateSchema, input);
  if (data.rule) {
    const template = await publishedTemplate(
      binding.institutionId,
      binding.templateId,
      binding.templateVersion,
    );
    const problems = ruleProblems(data.rule, template.data.learningOutcomes?.length ?? 0).map(
      (p) => `rule.${p}`,
    );
    if (problems.length)
      throw new BindingError('invalid', 'invalid_input', 'the binding is not valid', problems);
    binding.set('rule', data.rule);
  }
  if (data.regradePolicy) binding.regradePolicy = data.regradePolicy;
  if (data.enabled !== undefined) binding.enabled = data.enabled;
  if (data.writeBackLineItemUrl !== undefined) binding.writeBackLineItemUrl = data.writeBackLineItemUrl;
  return binding.save();
}
