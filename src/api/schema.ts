import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { BigIntResolver, DateTimeResolver, JSONResolver, UUIDResolver } from 'graphql-scalars';
import type { Resolvers } from './generated/resolvers-types';
import { teamResolvers } from '../modules/team/team.resolvers';

/** Directory of the SDL files, one per domain. */
export const sdlDir = path.join(__dirname, '..', '..', 'graphql');

export function loadTypeDefs(): string[] {
  return readdirSync(sdlDir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(sdlDir, file), 'utf8'));
}

const scalarResolvers: Resolvers = { DateTime: DateTimeResolver, JSON: JSONResolver, BigInt: BigIntResolver, UUID: UUIDResolver };

/** The executable schema: every domain's SDL with its module's resolvers. */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [scalarResolvers, teamResolvers] as never,
    inheritResolversFromInterfaces: true,
  });
}
