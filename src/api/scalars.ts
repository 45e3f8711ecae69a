import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * BigInt as a decimal string in both directions: byte counts and seeds exceed 2^53, and a string
 * keeps every client (JavaScript included) exact. Inputs may also be integers.
 */
export const BigIntStringScalar = new GraphQLScalarType<bigint, string>({
  name: 'BigInt',
  description: 'An integer that may exceed 2^53, serialised as a decimal string.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    throw new GraphQLError(`BigInt cannot represent ${String(value)}`);
  },
  parseValue(value) {
    return parseBigInt(value);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return parseBigInt(ast.value);
    throw new GraphQLError('BigInt must be an integer or a decimal string', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});

function parseBigInt(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,30}$/.test(value)) return BigInt(value);
  throw new GraphQLError(`BigInt must be an integer or a decimal string, got ${JSON.stringify(value)}`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}
