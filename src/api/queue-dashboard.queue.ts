import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';

/**
 * bull-board for the runs queue, mounted at `basePath`. Callers must put an admin-only guard in
 * front of it (admin-queues.ts); this function only builds the UI.
 */
export function createQueueDashboard(queue: Queue, basePath: string): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({ queues: [new BullMQAdapter(queue, { readOnlyMode: false })], serverAdapter });
  return serverAdapter.getRouter() as RequestHandler;
}
