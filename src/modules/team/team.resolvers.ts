import type { Resolvers, Role as GraphqlRole } from '../../api/generated/resolvers-types';
import type { Role } from './team.types';

const toGraphqlRole = (role: Role): GraphqlRole => role.toUpperCase() as GraphqlRole;
const fromGraphqlRole = (role: GraphqlRole): Role => role.toLowerCase() as Role;

/** Viewer, team and token operations: parse, call the team service, map. */
export const teamResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, { viewer }) => viewer,
    apiTokens: (_parent, _args, { viewer, services }) => services.teams.listTokens(viewer),
  },
  Mutation: {
    createApiToken: async (_parent, { input }, { viewer, services }) => {
      const result = await services.teams.createToken(viewer, { name: input.name, role: fromGraphqlRole(input.role) });
      if ('userErrors' in result)
        return { __typename: 'InputRejected', userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })) };
      return { __typename: 'ApiTokenCreated', token: result.token, secret: result.bearer };
    },
    revokeApiToken: async (_parent, { id }, { viewer, services }) => ({
      token: await services.teams.revokeToken(viewer, id),
    }),
  },
  Viewer: {
    team: (viewer, _args, { services }) => services.teams.team(viewer),
    tokenId: (viewer) => viewer.tokenId,
    role: (viewer) => toGraphqlRole(viewer.role),
  },
  ApiToken: {
    role: (token) => toGraphqlRole(token.role),
  },
};
