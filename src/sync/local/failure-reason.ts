import { withoutStatement } from '../../config/statement-text.js';

/** An object's path holds a folder with something in it, where its file would go. */
export const PATH_IS_FOLDER = 'the local path is a directory (another key is stored below it)';

/**
 * Why a file operation or a request failed, in one line for rows and logs: the local file system's
 * codes in words, otherwise the error's name, HTTP status and message. Never includes credentials
 * (SDK errors carry none).
 */
export function failureReason(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  switch (e?.code) {
    case 'EISDIR':
      return PATH_IS_FOLDER;
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a parent folder of the local path is a file (another key uses that name)';
    case 'ELOOP':
      return 'the local path goes through a symbolic link; nothing is written through links';
    case 'ENAMETOOLONG':
      return 'the local path is too long for the file system';
    case 'ENOSPC':
      return 'no space left on the download device (ENOSPC); the next run resumes from the last checkpoint once space is freed';
    case 'EDQUOT':
      return 'disk quota exceeded on the download device (EDQUOT); the next run resumes from the last checkpoint';
    case 'EFBIG':
      return 'the object is larger than the download file system allows for one file (EFBIG)';
    case 'EROFS':
      return 'the download folder is on a read-only file system (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied writing the local file (${e.code})`;
  }
  if (e?.name && SETTING_ERRORS.has(e.name)) return e.message ?? e.name;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name && e.name !== 'Error' ? e.name : (e?.code ?? 'Error');
  const hint = e?.name ? S3_ERROR_HINTS[e.name] : undefined;
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${withoutStatement(e?.message ?? String(error))}${hint ? `; ${hint}` : ''}`;
}

/** Errors whose message already names the setting to change (transport/signing-region.ts): shown as they are. */
const SETTING_ERRORS = new Set(['MissingRegionError']);

/** What a user can do about an S3 error whose own message does not say. */
const S3_ERROR_HINTS: Record<string, string | undefined> = {
  NoSuchKey: 'the object was deleted at the source after it was listed',
  InvalidObjectState:
    'the object is archived (GLACIER, DEEP_ARCHIVE or an Intelligent-Tiering archive tier) and not restored: restore it, or exclude its key, to sync it',
};
