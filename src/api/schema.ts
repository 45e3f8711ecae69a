import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver, JSONResolver, UUIDResolver } from 'graphql-scalars';
import { guardTextInputs } from './input-text';
import { BigIntStringScalar } from './scalars';
import type { Resolvers } from './generated/resolvers-types';
import { dashboardResolvers } from '../modules/dashboard/dashboard.resolvers';
import { resultResolvers } from '../modules/result/result.resolvers';
import { runResolvers } from '../modules/run/run.resolvers';
import { scenarioResolvers } from '../modules/scenario/scenario.resolvers';
import { teamResolvers } from '../modules/team/team.resolvers';
import { triageResolvers } from '../modules/triage/triage.resolvers';
import { regressionResolvers } from '../modules/regression/regression.resolvers';
import { traceResolvers } from '../modules/trace/trace.resolvers';
import { reviewResolvers } from '../modules/review/review.resolvers';

/** Directory of the SDL files, one per domain. */
export const sdlDir = path.join(__dirname, '..', '..', 'graphql');

export function loadTypeDefs(): string[] {
  return readdirSync(sdlDir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(sdlDir, file), 'utf8'));
}

const scalarResolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  BigInt: BigIntStringScalar,
  UUID: UUIDResolver,
};

/** The executable schema: every domain's SDL with its module's resolvers; text arguments are checked first (input-text.ts). */
export function createSchema(): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [
      scalarResolvers,
      teamResolvers,
      scenarioResolvers,
      runResolvers,
      resultResolvers,
      triageResolvers,
      dashboardResolvers,
      regressionResolvers,
      traceResolvers,
      reviewResolvers,
    ] as never,
    inheritResolversFromInterfaces: true,
  });
  return guardTextInputs(schema);
}
