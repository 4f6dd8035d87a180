import { builder } from './builder.js';
import './types/scalars.js';
import './types/connection.js';
import './types/job.js';
import './types/job-lifecycle.js';
import './types/previews.js';
import './types/sync-object.js';
import './types/sync-run.js';
import './types/sync-progress.js';
import './types/webhook.js';

export const schema = builder.toSchema({ sortSchema: true });
