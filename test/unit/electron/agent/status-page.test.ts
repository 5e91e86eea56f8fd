import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusPageHtml } from '../../../../electron/agent/status-page.ts';
import { formatClock, formatDuration, formatSize } from '../../../../shared/format.ts';
import { controlRoutes } from '../../../../shared/api/routes.ts';

test('the status page formats with shared/format.ts itself and calls the control routes of the contract', () => {
  const html = statusPageHtml();
  for (const f of [formatDuration, formatSize, formatClock]) assert.ok(html.includes(f.toString()), `${f.name} is inlined from shared/format.ts`);
  for (const route of [controlRoutes.state(), controlRoutes.pause(), controlRoutes.resume()]) assert.ok(html.includes(JSON.stringify(route)), route);
});
