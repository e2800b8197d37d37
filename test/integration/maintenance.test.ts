import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueueEvents, type Worker } from 'bullmq';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { AuditEvent, recordAudit } from '../../src/db/models/audit-event.js';
import { SWEEP_EXPIRED, scheduleMaintenance } from '../../src/jobs/maintenance.js';
import { startWorkers } from '../../src/jobs/registry.js';
import { createQueues, queueNames, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { queueKeyPrefix } from '../../src/queue/redis-topology.js';
import { silentLogger, testConfig } from '../helpers/env.js';

/** Expiry without TTL indexes: the maintenance job, run by a real BullMQ worker, removes what has expired. */
describe('maintenance job', () => {
  const config = testConfig({ MAINTENANCE_INTERVAL_MS: '600000' });
  const logger = silentLogger();
  let client: RedisClient;
  let blocking: RedisClient;
  let queues: Queues;
  let workers: Worker[];
  let events: QueueEvents;

  beforeAll(async () => {
    await connectDatabase(config.MONGODB_URI, logger);
    client = createRedis(config.REDIS_URL, 'client', logger);
    blocking = createRedis(config.REDIS_URL, 'worker', logger);
    queues = createQueues(client, config.QUEUE_PREFIX);
    events = new QueueEvents(queueNames.maintenance, {
      connection: { url: config.REDIS_URL },
      prefix: queueKeyPrefix(config.QUEUE_PREFIX, queueNames.maintenance),
    });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await events.close();
    await queues.close();
    client.disconnect();
    blocking.disconnect();
    await disconnectDatabase();
  });

  it('removes expired audit events and keeps the rest', async () => {
    await recordAudit(
      { actor: { kind: 'system', id: 'test' }, action: 'kept', target: { kind: 't', id: '1' } },
      30,
    );
    await AuditEvent.create({
      actor: { kind: 'system', id: 'test' },
      action: 'expired',
      target: { kind: 't', id: '2' },
      expiresAt: new Date(Date.now() - 1_000),
    });

    workers = startWorkers(blocking, config, logger);
    const job = await queues.maintenance.add(SWEEP_EXPIRED, {});
    const removed = await job.waitUntilFinished(events, 30_000);

    expect(removed).toMatchObject({ AuditEvent: 1 });
    expect((await AuditEvent.find().lean()).map((e) => e.action)).toEqual(['kept']);
  });

  it('schedules the sweep once, however many processes ask', async () => {
    await scheduleMaintenance(queues, 600_000);
    await scheduleMaintenance(queues, 600_000);
    const schedulers = await queues.maintenance.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toEqual([SWEEP_EXPIRED]);
  });
});
