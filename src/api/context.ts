import type { Viewer } from '../modules/team/team.types';
import type { Services } from './services';

/** What every resolver receives: the authenticated caller and the feature services. */
export interface GraphqlContext {
  readonly viewer: Viewer;
  readonly services: Services;
  readonly requestId: string;
}

/** Builds the context exactly as production does: authenticate the header, then attach services. */
export async function createContext(
  services: Services,
  authorization: string | undefined,
  requestId: string,
): Promise<GraphqlContext> {
  const viewer = await services.teams.authenticate(authorization);
  return { viewer, services, requestId };
}
