import type { Job } from 'bullmq';
import type { Logger } from '../log/logger.js';
import { learnerAddress } from '../notifications/address.js';
import type { Mailer } from '../notifications/mailer.js';
import { learnerRef } from './credential-ops.js';
import type { CredentialOps } from './ports.js';
import { IssuanceRequest } from './request-model.js';

export interface NotifyDeps {
  mailer?: Mailer;
  credentials: CredentialOps;
  logger: Logger;
  credentialUrl(credentialId: string): string;
  /**
   * The learner's signed links for one credential: their "my credentials" page and its wallet offers; without them,
   * the e-mail points to the public page only.
   */
  learnerLinks?(
    learnerRef: string,
    credentialId: string,
  ): { page: string; wallet: { eu: string; badge: string } };
}

/** E-mails the learner a link to a newly issued credential, once the request is issued. */
export function notifyProcessor(deps: NotifyDeps) {
  return async (job: Job<{ requestId: string }>): Promise<string> => {
    const { requestId } = job.data;
    const request = await IssuanceRequest.findById(requestId);
    if (!request || request.state !== 'issued' || request.notification !== 'pending') return 'skipped';
    // Requests stored before addresses were checked at sync may hold a list or a display name.
    const email = learnerAddress(request.learner?.email);
    if (!deps.mailer || !email) {
      const notification = deps.mailer ? 'no-address' : 'disabled';
      if (deps.mailer && request.learner?.email)
        deps.logger.warn(
          { requestId },
          "the learner's stored address is not one valid e-mail address: no e-mail",
        );
      await IssuanceRequest.updateOne({ _id: requestId }, { $set: { notification } });
      return notification;
    }
    const locale = request.learner?.locale ?? undefined;
    const { title, issuer, sealHolder } = await deps.credentials.summary(requestId, locale);
    const links = deps.learnerLinks?.(learnerRef(request.platformId, request.learnerId), requestId);
    await deps.mailer.sendCredentialMail({
      to: email,
      name: request.learner?.name ?? '',
      locale,
      title,
      issuer,
      ...(sealHolder ? { sealHolder } : {}),
      url: links ? links.page : deps.credentialUrl(requestId),
      ...(links ? { wallet: links.wallet } : {}),
    });
    await IssuanceRequest.updateOne({ _id: requestId }, { $set: { notification: 'sent' } });
    deps.logger.info({ requestId }, 'credential e-mail sent');
    return 'sent';
  };
}
