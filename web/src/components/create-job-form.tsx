import { useState } from 'preact/hooks';
import { DashboardCreateJobDocument } from '../../generated/graphql.js';
import { ApiError, request } from '../api/client.js';

const NAMED_SCHEDULES = ['quinqueminutely', 'decaminutely', 'half-hourly', 'hourly', 'daily', 'weekly', 'monthly'];

type Field = 'name' | 'bucketName' | 'prefix' | 'schedule' | 'timezone';

/** The API's field names (BAD_USER_INPUT `extensions.field`) → this form's inputs. */
const API_FIELDS: Record<string, Field> = {
  name: 'name',
  schedule: 'schedule',
  timezone: 'timezone',
  connectorConfig: 'bucketName',
  'connectorConfig.bucketName': 'bucketName',
  'connectorConfig.prefix': 'prefix',
};

const EMPTY = { name: '', bucketName: '', prefix: '', schedule: 'hourly', timezone: '', paused: false };

/**
 * Creates a job. Validation is the API's own: each BAD_USER_INPUT message is shown next to the
 * field it names, and what was typed stays.
 */
export function CreateJobForm({ onCreated }: { onCreated(id: string): void }) {
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    setCreated(null);
    try {
      const input = {
        name: values.name,
        connectorType: 'S3' as const,
        schedule: values.schedule,
        timezone: values.timezone.trim() || null,
        paused: values.paused,
        connectorConfig: { bucketName: values.bucketName, prefix: values.prefix },
      };
      const { createJob } = await request(DashboardCreateJobDocument, { input });
      setCreated(values.name.trim());
      setValues(EMPTY);
      onCreated(createJob.job.id);
    } catch (reason) {
      const byField: Partial<Record<Field, string>> = {};
      const other: string[] = [];
      if (reason instanceof ApiError) {
        for (const [apiField, message] of reason.fieldErrors()) {
          const field = API_FIELDS[apiField];
          if (field) byField[field] = message;
          else other.push(message);
        }
        if (reason.fieldErrors().size === 0) other.push(reason.message);
      } else other.push(String(reason));
      setErrors(byField);
      setFormError(other.length ? other.join('; ') : null);
    } finally {
      setBusy(false);
    }
  };

  const input = (field: Field, label: string, extra: Record<string, unknown> = {}) => (
    <div class="field">
      <label for={`job-${field}`}>{label}</label>
      <input
        id={`job-${field}`}
        name={field}
        value={values[field]}
        onInput={(e) => setValues({ ...values, [field]: (e.currentTarget as HTMLInputElement).value })}
        aria-invalid={errors[field] ? 'true' : undefined}
        aria-describedby={errors[field] ? `job-${field}-error` : undefined}
        {...extra}
      />
      {errors[field] && (
        <p id={`job-${field}-error`} class="field-error" role="alert">
          {errors[field]}
        </p>
      )}
    </div>
  );

  return (
    <form class="create-job" onSubmit={submit} aria-labelledby="create-job-title" noValidate>
      <h2 id="create-job-title">New job</h2>
      <div class="fields">
        {input('name', 'Name', { autocomplete: 'off', placeholder: '3–25 characters' })}
        {input('bucketName', 'Bucket', { autocomplete: 'off' })}
        {input('prefix', 'Prefix', { autocomplete: 'off', placeholder: 'data/ (empty: whole bucket)' })}
        {input('schedule', 'Schedule', { list: 'named-schedules', autocomplete: 'off' })}
        {input('timezone', 'Time zone (cron)', { autocomplete: 'off', placeholder: 'UTC' })}
        <div class="field checkbox">
          <input id="job-paused" type="checkbox" checked={values.paused} onChange={(e) => setValues({ ...values, paused: (e.currentTarget as HTMLInputElement).checked })} />
          <label for="job-paused">Create paused</label>
        </div>
      </div>
      <datalist id="named-schedules">
        {NAMED_SCHEDULES.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <button type="submit" disabled={busy}>
        Create job
      </button>
      {formError && (
        <p class="error" role="alert">
          {formError}
        </p>
      )}
      {created && (
        <p class="notice" role="status">
          Job “{created}” created.
        </p>
      )}
    </form>
  );
}
