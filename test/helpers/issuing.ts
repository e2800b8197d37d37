import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { findCredential, type StoredCredential } from '../../src/credentials/credential-store.js';
import { enqueueIssue } from '../../src/issuance/queueing.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { findPublishedTemplate } from '../../src/templates/lifecycle.js';
import { ADMIN_TOKEN, type ToolUnderTest } from './tool.js';
import { until } from './wait.js';

const PLATFORM = 'conformance-lms';

/** A course bound to an institution's published template, as an instructor's enabling makes it. */
export async function bindCourse(
  institutionId: string,
  issuerId: string,
  templateKey: string,
): Promise<string> {
  const template = (await findPublishedTemplate(institutionId, templateKey))!;
  const id = new Types.ObjectId();
  await CourseBinding.create({
    _id: id,
    institutionId,
    platformId: PLATFORM,
    deploymentId: 'd1',
    contextId: `course-${templateKey}`,
    courseId: `course-${templateKey}`,
    courseTitle: 'Análise de dados — turma de 2026',
    templateId: template.key,
    templateVersion: template.version,
    issuerId,
    rule: { outcomes: [] },
  });
  return String(id);
}

/** Requests as a grade sync records them (the learner's LMS locale included), issued by the tool's worker. */
export async function issueThroughWorker(
  tool: ToolUnderTest,
  bindingId: string,
  learners: { id: string; name: string; locale?: string; email?: string }[],
  timeoutMs = 90_000,
): Promise<Map<string, StoredCredential>> {
  const ids: string[] = [];
  for (const l of learners) {
    const _id = new Types.ObjectId().toHexString();
    ids.push(_id);
    await IssuanceRequest.create({
      _id,
      bindingId,
      platformId: PLATFORM,
      deploymentId: 'd1',
      contextId: bindingId,
      learnerId: l.id,
      learner: {
        name: l.name,
        givenName: 'Ana',
        familyName: 'Andrade',
        ...(l.locale ? { locale: l.locale } : {}),
        ...(l.email ? { email: l.email } : {}),
      },
      evidence: { courseTotalPercent: 87.5 },
    });
  }
  await enqueueIssue(tool.queues, ids);
  await until(
    async () =>
      (await IssuanceRequest.countDocuments({ _id: { $in: ids }, state: 'issued' })) === ids.length ||
      undefined,
    `${ids.length} credentials issued by the worker`,
    timeoutMs,
  );
  const out = new Map<string, StoredCredential>();
  for (const [i, l] of learners.entries()) out.set(l.id, (await findCredential(ids[i]!))!);
  return out;
}

/** Revokes a credential as an operator does, through the VC API (`POST /credentials/status`); the HTTP status. */
export async function revokeThroughApi(tool: ToolUnderTest, credentialId: string): Promise<number> {
  const res = await fetch(`${tool.url}/credentials/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      credentialId,
      credentialStatus: [{ type: 'BitstringStatusListEntry', statusPurpose: 'revocation', status: true }],
    }),
  });
  await res.body?.cancel();
  return res.status;
}
