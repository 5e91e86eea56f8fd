/**
 * `createApp(deps)` builds the head's Express app without listening, so tests and the server
 * share it. Every route but `/api/health` and the dashboard page needs a bearer token.
 */
import express from 'express';
import type { Health } from '../../shared/api/head-api.ts';
import { routes } from '../../shared/api/routes.ts';
import { VERSION } from '../../shared/version.ts';
import { authenticate } from './auth.ts';
import { jsonBodies } from './body-limits.ts';
import type { AppDeps } from './deps.ts';
import { errorHandler, HttpError } from './http-error.ts';
import { agentResultStreamRouter } from './routes/agent-result-stream.ts';
import { agentResultsRouter } from './routes/agent-results.ts';
import { batchesRouter } from './routes/batches.ts';
import { dashboardRouter } from './routes/dashboard.ts';
import { eventsRouter } from './routes/events.ts';
import { fileStreamRouter } from './routes/file-stream.ts';
import { inputsRouter } from './routes/inputs.ts';
import { nodesRouter } from './routes/nodes.ts';
import { resultsRouter } from './routes/results.ts';
import { statusRouter } from './routes/status.ts';
import { usersRouter } from './routes/users.ts';

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get(routes.health(), (_req, res) => {
    res.json({ ok: true, version: VERSION } satisfies Health);
  });
  app.use(dashboardRouter());
  app.use('/api', authenticate(deps.tokens));
  app.use(...jsonBodies(deps.bodyDeadlineMs));
  for (const router of [batchesRouter, inputsRouter, agentResultsRouter, agentResultStreamRouter, resultsRouter, fileStreamRouter, statusRouter, nodesRouter, usersRouter, eventsRouter]) {
    app.use(router(deps));
  }
  app.use('/api', (req) => {
    throw new HttpError(404, `no route ${req.method} ${req.originalUrl}`);
  });
  app.use(errorHandler(deps.log));
  return app;
}
