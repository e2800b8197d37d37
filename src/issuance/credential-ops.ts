import { Credential } from '../credentials/credential-model.js';
import { cachedReads } from '../db/cached-reads.js';
import { changeCredentialStatus, issueAndStoreCredential } from '../credentials/credential-store.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { cachedIssuer } from '../issuers/issuer-cache.js';
import { signingIssuer } from '../issuers/issuers.js';
import { findPublishedTemplate } from '../templates/lifecycle.js';
import type { Multilingual } from '../templates/schema.js';
import { languageOf, textIn } from '../i18n/languages.js';
import type { LearnerEvidence } from '../courses/rules.js';
import type { Config } from '../config/env.js';
import { installationDocumentLoader } from '../issuers/resolvers.js';
import type { Logger } from '../log/logger.js';
import { institutionSealers, type Sealer } from '../seals/sealer.js';
import { RevokedCertificateError } from '../seals/validation-data.js';

import { PermanentIssueError } from './issue.js';
import type { CredentialOps } from './ports.js';

export interface EngineOptions {
  publicUrl: string;
  kek: Buffer;
  documentLoader: DocumentLoader;
  /** The institution's seal (src/seals/sealer.ts): with one, the ELM is sealed for Europass instead of signed. */
  sealerFor?: (institutionId: string) => Promise<Sealer | undefined>;
}

/** The learner reference kept beside a credential: platform-scoped, since LMS user ids repeat across LMSs. */
export function learnerRef(platformId: string, learnerId: string): string {
  return `${platformId}:${learnerId}`;
}

/** The platform and learner of a reference (a platform id has no colon; a learner id may). */
export function parseLearnerRef(ref: string): { platformId: string; learnerId: string } {
  const at = ref.indexOf(':');
  return { platformId: ref.slice(0, at), learnerId: ref.slice(at + 1) };
}

function localized(text: Multilingual | undefined, locale: string | undefined): string {
  return textIn(text, languageOf(locale) ?? 'en') ?? '';
}

function gradeOf(evidence: LearnerEvidence | undefined): string | undefined {
  const total = evidence?.courseTotalPercent;
  return total === undefined ? undefined : `${Math.round(total * 10) / 10}%`;
}

/** The credential engine behind the pipeline's port: issue, change status, describe. */
export function engineCredentialOps(options: EngineOptions): CredentialOps {
  const { publicUrl, kek, documentLoader } = options;

  // Published templates never change, so they are read once; issuers through the shared issuer cache, which a
  // key rotation in any process drops at once.
  const publishedTemplate = cachedReads(Infinity, (id: string) => {
    const [institutionId, key, version] = id.split('@');
    return findPublishedTemplate(institutionId!, key!, Number(version));
  });

  /**
   * The issuer's signing key; with `institutionId`, only if that institution owns the issuer, so a binding
   * never signs with another institution's key whatever its record says.
   */
  async function signer(issuerId: string, institutionId?: string) {
    const issuer = await cachedIssuer(issuerId).catch(() => undefined);
    if (!issuer) throw new PermanentIssueError(`issuer "${issuerId}" does not exist`);
    if (institutionId !== undefined && issuer.institutionId !== institutionId)
      throw new PermanentIssueError(`issuer "${issuerId}" does not belong to institution "${institutionId}"`);
    return signingIssuer(issuer, kek);
  }

  return {
    async issue(request, binding) {
      const template = await publishedTemplate(
        `${binding.institutionId}@${binding.templateId}@${binding.templateVersion}`,
      );
      if (!template) {
        throw new PermanentIssueError(
          `template "${binding.templateId}" version ${binding.templateVersion} is not published`,
        );
      }
      const learner = request.learner!;
      const sealElm = await options.sealerFor?.(binding.institutionId);
      try {
        await issueAndStoreCredential({
          template: { ...template.data, version: template.version },
          issuer: await signer(binding.issuerId, binding.institutionId),
          learner: {
            fullName: learner.name,
            ...(learner.givenName ? { givenName: learner.givenName } : {}),
            ...(learner.familyName ? { familyName: learner.familyName } : {}),
          },
          learnerRef: learnerRef(request.platformId, request.learnerId),
          ...(learner.locale ? { locale: learner.locale } : {}),
          evidence: {
            ...(gradeOf(request.evidence as LearnerEvidence)
              ? { grade: gradeOf(request.evidence as LearnerEvidence) }
              : {}),
            ...(binding.courseTitle ? { courseTitle: binding.courseTitle } : {}),
            assessedAt: new Date().toISOString(),
          },
          credentialId: String(request._id),
          // A first claim: no attempt before this one can have stored a credential under this id.
          firstAttempt: request.attempts === 1,
          publicUrl,
          documentLoader,
          ...(sealElm ? { sealElm } : {}),
        });
      } catch (err) {
        // A revoked seal certificate will not heal by retrying: the request fails now, and says why.
        if (err instanceof RevokedCertificateError) throw new PermanentIssueError(err.message);
        throw err;
      }
      return { credentialId: String(request._id) };
    },

    async setStatus(credentialId, status, _reason) {
      const credential = await Credential.findById(credentialId, { issuerId: 1 }).lean();
      if (!credential) throw new Error(`credential ${credentialId} does not exist`);
      const issuer = await signer(credential.issuerId);
      if (status === 'revoked') {
        await changeCredentialStatus(credentialId, 'revocation', true, issuer, publicUrl, documentLoader);
      } else {
        await changeCredentialStatus(
          credentialId,
          'suspension',
          status === 'suspended',
          issuer,
          publicUrl,
          documentLoader,
        );
      }
    },

    async summary(credentialId, locale) {
      const credential = await Credential.findById(credentialId, {
        templateKey: 1,
        templateVersion: 1,
        issuerId: 1,
        sealedBy: 1,
      }).lean();
      if (!credential) throw new Error(`credential ${credentialId} does not exist`);
      const issuer = await cachedIssuer(credential.issuerId);
      const template = issuer
        ? await findPublishedTemplate(
            issuer.institutionId,
            credential.templateKey,
            credential.templateVersion,
          )
        : undefined;
      return {
        title: localized(template?.data.title, locale),
        issuer: issuer?.profile.legalName ? localized(issuer.profile.legalName as Multilingual, locale) : '',
        ...(credential.sealedBy?.holder ? { sealHolder: credential.sealedBy.holder } : {}),
      };
    },
  };
}

/**
 * The engine as the web and worker processes run it: the installation's document loader, and each institution's
 * seal (time-stamped at TSA_URL when set; a seal left at B-T is logged).
 */
export function installationCredentialOps(
  config: Pick<Config, 'PUBLIC_URL' | 'TSA_URL'>,
  kek: Buffer,
  logger: Logger,
): CredentialOps {
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  return engineCredentialOps({
    publicUrl,
    kek,
    documentLoader: installationDocumentLoader(publicUrl),
    sealerFor: institutionSealers({
      kek,
      ...(config.TSA_URL ? { tsaUrl: config.TSA_URL } : {}),
      onLowerLevel: (reason) =>
        logger.warn(
          { component: 'seals', reason },
          'seal time-stamped without revocation values (JAdES B-T)',
        ),
    }),
  });
}
