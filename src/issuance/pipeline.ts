import type { Processor } from 'bullmq';
import type { Config } from '../config/env.js';
import type { GradeSourceFactory } from '../grades/source-factory.js';
import { gradeSourceFactory, lmsApiSources } from '../grades/source-factory.js';
import { configureServiceClients } from '../lti/service-client.js';
import { ServiceTokens } from '../lti/service-token.js';
import { ToolKeys } from '../lti/tool-keys.js';
import type { Logger } from '../log/logger.js';
import { configureOutbound } from '../net/outbound.js';
import { createMailer, type Mailer } from '../notifications/mailer.js';
import { queueNames, type QueueName, type Queues } from '../queue/queues.js';
import { parseEncryptionKey } from '../security/encryption.js';
import { installationCredentialOps } from './credential-ops.js';
import { issueProcessor } from './issue.js';
import { agsWriteBack } from './lms-write-back.js';
import { credentialPageUrl, learnerLinkKey, learnerMailLinks } from './links.js';
import { notifyProcessor } from './notify.js';
import type { CredentialOps } from './ports.js';
import { setRetryPolicy } from './queueing.js';
import { reconcile } from './reconcile.js';
import { gradeSyncProcessor, scheduleActiveSync } from './sync-job.js';

export interface PipelineHandler {
  queue: QueueName;
  processor: Processor;
  concurrency: number;
}

export interface Pipeline {
  handlers: PipelineHandler[];
  /** Runs the reconciler now and every RECONCILE_INTERVAL_MS; also restores the schedules a lost Redis took. */
  startReconciler(): void;
  stop(): Promise<void>;
  credentials: CredentialOps;
  mailer?: Mailer;
}

/**
 * The worker side of issuance: grade sync, issue and notify processors built on the credential engine, the
 * LTI services (AGS/NRPS through the tool's keys) and SMTP. Sources for other LMS APIs plug in through `sources`.
 */
export function createPipeline(
  config: Config,
  logger: Logger,
  queues: Queues,
  options: { sources?: Partial<Record<string, GradeSourceFactory>> } = {},
): Pipeline {
  if (!config.KEY_ENCRYPTION_KEY) throw new Error('KEY_ENCRYPTION_KEY is required to issue credentials');
  const kek = parseEncryptionKey(config.KEY_ENCRYPTION_KEY);
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  setRetryPolicy({ attempts: config.ISSUE_ATTEMPTS, backoffMs: config.ISSUE_BACKOFF_MS });
  configureServiceClients({
    requestsPerSecond: config.LMS_REQUESTS_PER_SECOND,
    timeoutMs: config.LMS_TIMEOUT_MS,
  });
  configureOutbound({
    allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS,
    ...(config.OUTBOUND_CA_FILE ? { extraCa: config.OUTBOUND_CA_FILE } : {}),
    onFailure: (failure) => logger.warn({ component: 'outbound', ...failure }, 'outbound request failed'),
  });
  const tokens = new ServiceTokens(new ToolKeys(kek));
  const credentials = installationCredentialOps(config, kek, logger);
  const mailer = createMailer(config.SMTP_URL, config.MAIL_FROM);
  const credentialUrl = (id: string) => credentialPageUrl(publicUrl, id);
  const linkKey = learnerLinkKey(kek);
  const learnerLinks = (ref: string, credentialId: string) =>
    learnerMailLinks(publicUrl, linkKey, ref, config.LEARNER_LINK_TTL_DAYS, credentialId);
  const log = logger.child({ component: 'issuance' });

  const handlers: PipelineHandler[] = [
    {
      queue: queueNames.gradeSync,
      processor: gradeSyncProcessor({
        queues,
        credentials,
        logger: log,
        sourceFor: gradeSourceFactory(tokens, { ...lmsApiSources(kek, tokens), ...options.sources }),
        activeDays: config.SYNC_ACTIVE_DAYS,
      }),
      concurrency: 2,
    },
    {
      queue: queueNames.issue,
      processor: issueProcessor({
        queues,
        credentials,
        writeBack: agsWriteBack(tokens),
        logger: log,
        claimTimeoutMs: config.ISSUE_CLAIM_TIMEOUT_MS,
        credentialUrl,
        mailEnabled: !!mailer,
      }),
      concurrency: config.WORKER_CONCURRENCY,
    },
    {
      queue: queueNames.notify,
      processor: notifyProcessor({ mailer, credentials, logger: log, credentialUrl, learnerLinks }),
      concurrency: 4,
    },
  ];

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    running ??= (async () => {
      await scheduleActiveSync(queues, config.SYNC_INTERVAL_MS);
      await reconcile(
        queues,
        { staleMs: config.RECONCILE_INTERVAL_MS, claimTimeoutMs: config.ISSUE_CLAIM_TIMEOUT_MS },
        log,
      );
    })()
      .catch((err: Error) => log.warn({ err: err.message }, 'reconciler pass failed'))
      .finally(() => (running = undefined));
  };

  return {
    handlers,
    credentials,
    mailer,
    startReconciler() {
      tick();
      timer = setInterval(tick, config.RECONCILE_INTERVAL_MS);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
      mailer?.close();
    },
  };
}
