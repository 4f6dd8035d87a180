import { useEffect, useState } from 'preact/hooks';

/** Hash routes, so every address is served by the one page and survives a reload: `#/`, `#/jobs/<id>`. */
export type Route = { page: 'jobs' } | { page: 'job'; jobId: string };

export const jobHref = (jobId: string) => `#/jobs/${encodeURIComponent(jobId)}`;

/** decodeURIComponent, or the text as it is when its escapes are malformed (a hand-edited address). */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function parseRoute(hash: string): Route {
  const match = /^#\/jobs\/([^/?#]+)/.exec(hash);
  return match?.[1] ? { page: 'job', jobId: decode(match[1]) } : { page: 'jobs' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
