import { useState } from 'preact/hooks';

/** What API_TOKEN may hold (src/config/env.ts), and all a browser can put in a header. */
const TOKEN_CHARACTERS = /^[\x20-\x7e]+$/;

/** Asks for the API token (API_TOKEN is set on the service); the page keeps it in sessionStorage only. */
export function TokenPrompt({ error: refused, onSubmit }: { error: string | null; onSubmit(token: string): void }) {
  const [token, setToken] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const error = invalid ?? refused;
  return (
    <main>
      <form
        class="token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          const value = token.trim();
          if (!value) return;
          if (!TOKEN_CHARACTERS.test(value)) {
            setInvalid('This is not an API token: a token is printable ASCII only (letters, digits, punctuation). Check for a pasted dash or quote.');
            return;
          }
          setInvalid(null);
          onSubmit(value);
        }}
      >
        <h1>API token needed</h1>
        <p>This service requires a token. It is kept in this browser tab only (sessionStorage) and sent with each API request.</p>
        <div class="field">
          <label for="api-token">API token</label>
          <input
            id="api-token"
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'api-token-error' : undefined}
          />
          {error && (
            <p id="api-token-error" class="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit">Use token</button>
      </form>
    </main>
  );
}
