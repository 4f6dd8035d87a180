export interface HttpResult<T = unknown> {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
  text: string;
  headers: Headers;
}

/**
 * One HTTP request against a test app. A string or Buffer body is sent as is (for malformed-body tests);
 * anything else is sent as JSON. Either way it is labelled `application/json` unless `headers` sets a type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
export async function http<T = any>(
  app: { url: string } | string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const base = typeof app === 'string' ? app : app.url;
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const response = await fetch(`${base}${path}`, {
    method,
    // Bodies are declared JSON (the service refuses other media types with 415) unless `headers` says otherwise.
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : raw ? (typeof body === 'string' ? body : new Uint8Array(body as Buffer)) : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
}
