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
        riskiestScenarios: dashboard.riskiestScenarios.map((row) => ({
          ...row,
          overlays: row.overlays.map((o) => ({ name: o.name, variant: o.variant ?? null })),
        })),
        headroom: dashboard.headroom.map((row) => ({ ...row, points: [...row.points] })),
      };
    },
  },
};
