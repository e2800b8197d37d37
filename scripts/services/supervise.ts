import { spawn, type ChildProcess } from 'node:child_process';
import { startLocalServices, type LocalServicesOptions } from './index.js';

export interface Command {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the local services, runs `commands` with MONGODB_URI and REDIS_URL set, and stops everything
 * when the first command ends or on Ctrl-C / SIGTERM. Resolves with the exit code to use.
 */
export async function superviseWithServices(
  options: LocalServicesOptions,
  commands: Command[],
): Promise<number> {
  const services = await startLocalServices(options);
  const children: ChildProcess[] = [];
  let stopping: Promise<number> | undefined;

  // The first ending (a command exits, or a signal) decides the exit code; later ones wait for the same stop.
  const finish = (code: number): Promise<number> => {
    stopping ??= (async () => {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      await services.stop();
      return code;
    })();
    return stopping;
  };

  return new Promise<number>((resolve) => {
    const end = (code: number) => void finish(code).then(resolve);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => end(130));
    for (const { name, command, args, env } of commands) {
      const child = spawn(command, args, {
        stdio: 'inherit',
        env: { ...process.env, ...services.env, ...env },
      });
      children.push(child);
      child.once('exit', (code, signal) => {
        if (!stopping && commands.length > 1) console.error(`[services] ${name} exited (${code ?? signal})`);
        end(code ?? 1);
      });
    }
  });
}
