import { useState } from 'preact/hooks';

/** Asks for the API token (API_TOKEN is set on the service); the page keeps it in sessionStorage only. */
export function TokenPrompt({ error, onSubmit }: { error: string | null; onSubmit(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main>
      <form
        class="token-prompt"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSubmit(token.trim());
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
