import type { Resolvers } from '../../api/generated/resolvers-types';
import type { RunStatus } from '../run/run.types';

/** Dashboard aggregates: parse, call the dashboard service, map. */
export const dashboardResolvers: Resolvers = {
  Query: {
    dashboard: async (_parent, { range }, { viewer, services }) => {
      const dashboard = await services.dashboard.dashboard(viewer, range);
      return {
        ...dashboard,
        runsByStatus: dashboard.runsByStatus.map((row) => ({ ...row, status: row.status as RunStatus })),
      };
    },
  },
};
