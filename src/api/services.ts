import type { Clock } from '../platform/clock';
import type { Database } from '../platform/db';
import { TeamRepository } from '../modules/team/team.repository';
import { TeamService } from '../modules/team/team.service';

/** The feature services the API uses, wired once per process (composition root). */
export interface Services {
  readonly teams: TeamService;
}

export function createServices(dependencies: { db: Database; clock: Clock }): Services {
  return {
    teams: new TeamService(new TeamRepository(dependencies.db), dependencies.clock),
  };
}
