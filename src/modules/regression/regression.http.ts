import { Router } from 'express';
import { AppError } from '../../platform/app-error';
import type { Logger } from '../../platform/logger';
import type { TeamService } from '../team/team.service';
import type { ExportFormat, RegressionService } from './regression.service';

const formatOf: Record<string, ExportFormat> = { 'junit.xml': 'JUNIT', 'results.sarif': 'SARIF', 'sarif.json': 'SARIF', 'series.csv': 'CSV', 'report.md': 'MARKDOWN' };
const statusOf: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, RATE_LIMITED: 429, CONFLICT: 409 };

/**
 * CI export routes, behind the same bearer-token auth as /graphql:
 * GET /export/batches/:id/{junit.xml,results.sarif,sarif.json,series.csv,report.md}.
 * Another team's batch is 404, exactly like a missing one.
 */
export function createExportRouter(services: { teams: TeamService; regression: RegressionService }, logger: Logger): Router {
  const router = Router();
  router.get('/export/batches/:id/:file', async (request, response) => {
    try {
      const format = formatOf[request.params.file];
      if (!format || !/^[0-9a-f-]{36}$/i.test(request.params.id)) throw new AppError('NOT_FOUND', `no export ${request.params.file} for ${request.params.id}`);
      const viewer = await services.teams.authenticate(request.header('authorization'));
      const file = await services.regression.exportBatch(viewer, request.params.id, format);
      response.status(200).type(file.contentType).setHeader('content-disposition', `inline; filename="${file.fileName}"`).send(file.body);
    } catch (error: unknown) {
      if (error instanceof AppError) {
        response.status(statusOf[error.code] ?? 400).json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
        return;
      }
      logger.error({ err: error }, 'export failed');
      response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  return router;
}
