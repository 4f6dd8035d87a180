import { WEBHOOK_EVENTS } from '../../db/entities/webhook-statuses.js';
import { builder } from '../builder.js';

export const WebhookEvent = builder.enumType('WebhookEvent', {
  values: WEBHOOK_EVENTS,
  description: 'RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED: a run ended so; DELETES_BLOCKED: a mirror-delete run refused to remove files',
});

export const WebhookInput = builder.inputType('WebhookInput', {
  description: 'A URL the service POSTs run outcomes to (signed with WEBHOOK_SECRET)',
  fields: (t) => ({
    url: t.string({ required: true, description: 'An http(s) URL without credentials, at most 2048 characters' }),
    events: t.field({ type: [WebhookEvent], description: 'Default [RUN_FAILED]' }),
  }),
});
