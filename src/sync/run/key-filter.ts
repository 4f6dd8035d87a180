import picomatch from 'picomatch';

/** Picomatch options of the contract's glob semantics: `*` within one segment, `**` across, dot files matched like others. */
const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, strictBrackets: true };

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
  const include = settings.includePatterns?.length ? picomatch(settings.includePatterns, GLOB_OPTIONS) : null;
  const exclude = settings.excludePatterns?.length ? picomatch(settings.excludePatterns, GLOB_OPTIONS) : null;
  if (!include && !exclude) return null;
  const { prefix } = settings;
  return (key) => {
    let relative = key.startsWith(prefix) ? key.slice(prefix.length) : key;
    // Prefix `data` and key `data/a.csv`: the relative key is `a.csv`, as with prefix `data/`.
    if (relative.startsWith('/') && prefix !== '' && !prefix.endsWith('/')) relative = relative.slice(1);
    return (!include || include(relative)) && !(exclude && exclude(relative));
  };
}
