import type { Router } from 'express';
import express from 'express';

/** A dependency the readiness probe checks (PostgreSQL, Redis, …); rejects when unusable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/**
 * `/healthz`: the process is up (liveness, no dependencies). `/readyz`: every dependency answers;
 * 503 with the failing names otherwise, so a load balancer stops routing to this instance.
 */
export function createHealthRouter(checks: readonly ReadinessCheck[]): Router {
  const router = express.Router();
  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  router.get('/readyz', async (_request, response) => {
    const results = await Promise.allSettled(checks.map((c) => c.check()));
    const failing = checks.filter((_, index) => results[index]?.status === 'rejected').map((c) => c.name);
    response
      .status(failing.length === 0 ? 200 : 503)
      .json({ status: failing.length === 0 ? 'ready' : 'unavailable', failing });
  });
  return router;
}
