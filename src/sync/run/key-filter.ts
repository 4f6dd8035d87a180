import { compileGlob } from './glob.js';

export interface KeyFilterSettings {
  prefix: string;
  includePatterns: string[] | null;
  excludePatterns: string[] | null;
}

/**
 * Whether an object of the job's listing is synced: its key relative to the prefix matches an
 * include pattern (or there are none) and no exclude pattern. Null when the job has no filter.
 */
export function createKeyFilter(settings: KeyFilterSettings): ((key: string) => boolean) | null {
  const include = anyOf(settings.includePatterns);
  const exclude = anyOf(settings.excludePatterns);
  if (!include && !exclude) return null;
  const { prefix } = settings;
  return (key) => {
    let relative = key.startsWith(prefix) ? key.slice(prefix.length) : key;
    // Prefix `data` and key `data/a.csv`: the relative key is `a.csv`, as with prefix `data/`.
    if (relative.startsWith('/') && prefix !== '' && !prefix.endsWith('/')) relative = relative.slice(1);
    return (!include || include(relative)) && !(exclude && exclude(relative));
  };
}

/** Whether a key matches one of the patterns; null for none. */
function anyOf(patterns: string[] | null): ((key: string) => boolean) | null {
  if (!patterns?.length) return null;
  const globs = patterns.map(compileGlob);
  return (key) => globs.some((glob) => glob.matches(key));
}
