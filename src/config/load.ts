import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from './env.js';

/** Entry-point helper: reads `.env` (development convenience) then the environment, or exits naming the problem. */
export function loadConfigOrExit(): Config {
  dotenv.config({ quiet: true });
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
