import type { Logger } from '../log/logger.js';

export type ShutdownStep = [name: string, run: () => Promise<unknown>];

/**
 * Runs `steps` in order on SIGTERM or SIGINT, then exits 0. If they take longer than `timeoutMs`
 * the process exits 1; work not finished by then stays recoverable (BullMQ marks its jobs stalled and
 * another worker picks them up).
 */
export function handleShutdown(logger: Logger, timeoutMs: number, steps: ShutdownStep[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    for (const [name, run] of steps) {
      try {
        await run();
        logger.debug({ step: name }, 'shutdown step done');
      } catch (err) {
        logger.error({ step: name, err }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
