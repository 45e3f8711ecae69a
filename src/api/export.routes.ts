import { Router, type Request, type Response } from 'express';
import { AppError } from '../platform/app-error';
import type { Logger } from '../platform/logger';
import type { ExportService } from '../modules/regression/export.service';
import type { ExportFile, ExportFormat } from '../modules/regression/exports';
import type { TeamService } from '../modules/team/team.service';
import type { Viewer } from '../modules/team/team.types';
import { httpStatusFor } from './http-status';
import type { RateLimiter } from './rate-limit';

const formatOf: Record<string, ExportFormat> = {
  'junit.xml': 'JUNIT',
  'results.sarif': 'SARIF',
  'sarif.json': 'SARIF',
  'series.csv': 'CSV',
  'report.md': 'MARKDOWN',
};
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * CI export routes, behind the same bearer-token auth as /graphql:
 * GET /export/batches/:id/{junit.xml,results.sarif,sarif.json,series.csv,report.md} (a suite batch's comparison) and
 * GET /export/runs/:id/{…the same files} (one run without a baseline) and
 * GET /export/run-batches/:id/{…} (a matrix batch, one entry per run, without a baseline); their
 * JUnit and SARIF gate findings on `?failOn=` (severities, classes, verdict levels; default high).
 * Another team's batch or run is 404, exactly like a missing one; so is an id that is not a UUID.
 * Each request counts against the token's rate limit, the same budget as /graphql; past it the
 * answer is 429 with Retry-After.
 */
export function createExportRouter(
  services: { readonly teams: TeamService; readonly exports: ExportService },
  logger: Logger,
  rateLimiter: RateLimiter,
): Router {
  const router = Router();
  const handle =
    (exporter: (viewer: Viewer, id: string, format: ExportFormat, failOn: string | null) => Promise<ExportFile>) =>
    async (request: Request<{ id: string; file: string }>, response: Response) => {
      try {
        const format = formatOf[request.params.file];
        if (!format || !uuidPattern.test(request.params.id))
          throw new AppError('NOT_FOUND', `no export ${request.params.file} for ${request.params.id}`);
        const viewer = await services.teams.authenticate(request.header('authorization'));
        await rateLimiter.consume(`token:${viewer.tokenId}`);
        const failOn = typeof request.query['failOn'] === 'string' ? request.query['failOn'] : null;
        const file = await exporter(viewer, request.params.id, format, failOn);
        response
          .status(200)
          .type(file.contentType)
          .setHeader('content-disposition', `inline; filename="${file.fileName}"`)
          .send(file.body);
      } catch (error: unknown) {
        if (error instanceof AppError) {
          const retryAfterSeconds = error.details?.['retryAfterSeconds'];
          if (typeof retryAfterSeconds === 'number') response.setHeader('retry-after', String(retryAfterSeconds));
          response
            .status(httpStatusFor[error.code])
            .json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
          return;
        }
        logger.error({ err: error }, 'export failed');
        response
          .status(500)
          .json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      }
    };
  router.get(
    '/export/batches/:id/:file',
    handle((viewer, id, format) => services.exports.exportBatch(viewer, id, format)),
  );
  router.get(
    '/export/runs/:id/:file',
    handle((viewer, id, format, failOn) => services.exports.exportRun(viewer, id, format, { failOn })),
  );
  router.get(
    '/export/run-batches/:id/:file',
    handle((viewer, id, format, failOn) => services.exports.exportRunBatch(viewer, id, format, { failOn })),
  );
  return router;
}
