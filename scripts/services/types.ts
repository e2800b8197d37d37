/** A server started by the project for development, the demo or the tests. */
export interface ServiceHandle {
  name: string;
  /** Connection URL for the processes (MONGODB_URI or REDIS_URL). */
  url: string;
  description: string;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port and data (failure drills stop and start services). */
  start(): Promise<void>;
}
