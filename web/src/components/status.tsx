/** Known statuses get a colour; any other (a status added to the API later) is shown as plain text. */
const TONES: Record<string, string> = {
  SCHEDULED: 'ok',
  SUCCEEDED: 'ok',
  PROCESSED: 'ok',
  RUNNING: 'busy',
  PROCESSING: 'busy',
  PENDING: 'wait',
  PAUSED: 'wait',
  SKIPPED: 'muted',
  EXCLUDED: 'muted',
  DELETED: 'muted',
  CANCELLED: 'warn',
  FAILED: 'bad',
};

export function Status({ value }: { value: string | null | undefined }) {
  const text = value ?? '–';
  return <span class={`status status-${TONES[text] ?? 'other'}`}>{text.toLowerCase().replace(/_/g, ' ')}</span>;
}
