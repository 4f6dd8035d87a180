import { JOB_ID_PATTERN } from '../db/entities/job.entity.js';
import { InputError } from './errors.js';

/** Accepts a job UUID with surrounding whitespace (the old service's examples send `"<uuid> "`). */
export function parseJobId(raw: unknown, field = 'id'): string {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!JOB_ID_PATTERN.test(text)) throw new InputError(field, 'Invalid job ID');
  return text.toLowerCase();
}

export function isJobId(raw: unknown): boolean {
  return typeof raw === 'string' && JOB_ID_PATTERN.test(raw.trim());
}

/** Run and object ids are positive integers, sent as strings in GraphQL `ID`s. */
export function parseRowId(raw: unknown, field: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InputError(field, `${field} must be a positive integer id`);
  return Number(text);
}
