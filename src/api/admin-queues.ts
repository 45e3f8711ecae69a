import type { RequestHandler } from 'express';
import { AppError } from '../platform/app-error';
import { httpStatusFor } from './http-status';
import type { Services } from './services';

/**
 * `Authorization` as the team service understands it: Bearer passes through; Basic (what a browser
 * prompts for) carries the API token as its password, any user name.
 */
export function bearerFromAuthorization(header: string | undefined): string | undefined {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (basic === undefined) return header;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? `Bearer ${decoded.slice(colon + 1)}` : undefined;
}

/**
 * Guards the bull-board UI: 401 (with a Basic challenge, so a browser asks) without a valid token,
 * 403 for tokens below admin. bull-board shows every team's jobs, so it is operator tooling.
 */
export function requireAdminToken(services: Services): RequestHandler {
  return async (request, response, next) => {
    try {
      const viewer = await services.teams.authenticate(bearerFromAuthorization(request.headers.authorization));
      if (viewer.role !== 'admin') {
        response.status(httpStatusFor.FORBIDDEN).json({
          errors: [{ message: 'the queue dashboard needs an admin token', extensions: { code: 'FORBIDDEN' } }],
        });
        return;
      }
      next();
    } catch (error: unknown) {
      if (!(error instanceof AppError) || error.code !== 'UNAUTHENTICATED') {
        next(error);
        return;
      }
      response
        .status(httpStatusFor.UNAUTHENTICATED)
        .set('WWW-Authenticate', 'Basic realm="dmasim queues"')
        .json({ errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  };
}
