/** The job to run is not there: never was, or deleted meanwhile by another request. */
export class JobGoneError extends Error {
  override name = 'JobGoneError';
  constructor(readonly jobId: string) {
    super(`job ${jobId} does not exist`);
  }
}
