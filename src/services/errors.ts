/** Bad input from a client; `field` names the offending input field (GraphQL name, e.g. `name`, `connectorConfig.bucketName`). */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly what: string,
    message = `${what} not found`,
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
  constructor(message = 'Missing or invalid bearer token') {
    super(message);
  }
}

/** The request is valid but conflicts with the current state (e.g. resuming a job that is not paused). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
