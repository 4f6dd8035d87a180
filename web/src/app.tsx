import { useEffect, useState } from 'preact/hooks';
import { onUnauthenticated } from './api/client.js';
import { resetLive } from './api/live.js';
import { readToken, saveToken, tokenRequired } from './api/token.js';
import { JobPage } from './components/job-page.js';
import { JobsPage } from './components/jobs-page.js';
import { TokenPrompt } from './components/token-prompt.js';
import { useRoute } from './route.js';

/** The shell: header, the token prompt when the API asks for one, and the page of the current address. */
export function App() {
  const route = useRoute();
  const [tokenError, setTokenError] = useState<string | null>(null);
  // Asked before the first request when the page says a token is needed: no refused request first.
  const [needToken, setNeedToken] = useState(() => tokenRequired() && readToken() === null);
  const [session, setSession] = useState(0);
  const [hasToken, setHasToken] = useState(() => readToken() !== null);

  useEffect(
    () =>
      onUnauthenticated(() => {
        const had = readToken() !== null;
        saveToken(null);
        setHasToken(false);
        resetLive();
        setTokenError(had ? 'The service refused this token (401 Unauthorized). Check it and try again.' : null);
        setNeedToken(true);
      }),
    [],
  );

  const submitToken = (token: string) => {
    saveToken(token);
    setHasToken(true);
    resetLive();
    setNeedToken(false);
    setSession((s) => s + 1);
  };
  const forgetToken = () => {
    saveToken(null);
    setHasToken(false);
    resetLive();
    setTokenError(null);
    setNeedToken(tokenRequired());
    setSession((s) => s + 1);
  };

  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          data-sync-scheduler
        </a>
        <nav aria-label="Main">
          <a href="#/">Jobs</a>
          <a href="/graphql">GraphiQL</a>
          {hasToken && (
            <button type="button" class="link" onClick={forgetToken}>
              Forget token
            </button>
          )}
        </nav>
      </header>
      {needToken ? (
        <TokenPrompt error={tokenError} onSubmit={submitToken} />
      ) : route.page === 'job' ? (
        <JobPage key={`${session}-${route.jobId}`} jobId={route.jobId} />
      ) : (
        <JobsPage key={session} />
      )}
    </>
  );
}
