/**
 * The API token lives in sessionStorage only: it survives a reload of this tab and is gone with
 * it; never localStorage or a cookie (a cookie would also be sent without the page asking).
 */
const KEY = 'dss.apiToken';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: the token lasts as long as the page.
  }
}

export const authorizationHeader = (token: string | null): string | null => (token ? `Bearer ${token}` : null);

/** Whether the service has API_TOKEN set, as the page it served says. */
export const tokenRequired = (): boolean => document.querySelector('meta[name="api-token"]')?.getAttribute('content') === 'required';
