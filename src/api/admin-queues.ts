import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { httpStatusFor } from './http-status';

/**
 * The credential carried by `Authorization`: Bearer's token as is; Basic (what a browser prompts
 * for) carries it as its password, any user name.
 */
export function credentialFromAuthorization(header: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (basic === undefined) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Guards the bull-board UI with the operator credential (OPERATOR_TOKEN), which is not a team
 * token: bull-board shows and controls every team's jobs on the shared queue, so no team token —
 * not even a team admin's — opens it. Anything but the operator credential is 401 with a Basic
 * challenge (so a browser asks). Compared in constant time over SHA-256 digests.
 */
export function requireOperatorToken(operatorToken: string): RequestHandler {
  const expected = digest(operatorToken);
  return (request, response, next) => {
    const given = credentialFromAuthorization(request.headers.authorization);
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    response
      .status(httpStatusFor.UNAUTHENTICATED)
      .set('WWW-Authenticate', 'Basic realm="dmasim operator"')
      .json({
        errors: [
          {
            message: 'the queue dashboard needs the operator credential (OPERATOR_TOKEN); team tokens do not open it',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
  };
}
