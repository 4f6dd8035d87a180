/** A request problem found before any service call (bad JSON, body too large); becomes `status` + `{ message }`. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
