import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  getNullableType,
  isObjectType,
  isUnionType,
  type GraphQLOutputType,
} from 'graphql';
import { AppError } from '../platform/app-error';

/** What is wrong with one string of the input, or undefined when it can be stored and compared. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000)';
  // A high surrogate not followed by a low one, or a low one not preceded by a high one: not valid UTF-16, not encodable as UTF-8.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value))
    return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** The first string (value or object key) in a coerced argument value that cannot be stored, with its path. */
export function findTextProblem(
  value: unknown,
  path: readonly string[],
): { path: string[]; message: string } | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { path: [...path], message: `${path.join('.')} ${problem}` } : undefined;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findTextProblem(item, [...path, String(index)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) return { path: [...path], message: `${path.join('.')} has a key that ${keyProblem}` };
      const found = findTextProblem(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

const rejectedTypeName = 'InputRejected';

function returnsInputRejected(type: GraphQLOutputType): boolean {
  const nullable = getNullableType(type);
  return isUnionType(nullable) && nullable.getTypes().some((member) => member.name === rejectedTypeName);
}

/**
 * Checks every argument of every field, over every transport, before its resolver runs: a string
 * anywhere in the input (nested input objects, lists, JSON values and their keys) holding a NUL
 * character or a lone surrogate cannot be stored in PostgreSQL nor compared there. A mutation whose
 * result can be InputRejected answers it with the field path and code INVALID_TEXT; any other
 * field (queries, filters, subscriptions) fails with BAD_USER_INPUT naming the path.
 * Mutates the schema's resolvers in place and returns the schema.
 */
export function guardTextInputs(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const asData = returnsInputRejected(field.type);
      const check = (args: Record<string, unknown>): { path: string[]; message: string } | undefined => {
        for (const arg of field.args) {
          const found = findTextProblem(args[arg.name], [arg.name]);
          if (found) return found;
        }
        return undefined;
      };
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        const problem = check(args);
        if (!problem) return resolve(source, args, context, info);
        if (asData)
          return {
            __typename: rejectedTypeName,
            userErrors: [{ path: problem.path, message: problem.message, code: 'INVALID_TEXT' }],
          };
        throw new AppError('BAD_USER_INPUT', problem.message, { path: problem.path, reason: 'INVALID_TEXT' });
      };
      const subscribe = field.subscribe;
      if (subscribe)
        field.subscribe = (source, args: Record<string, unknown>, context, info) => {
          const problem = check(args);
          if (problem)
            throw new AppError('BAD_USER_INPUT', problem.message, { path: problem.path, reason: 'INVALID_TEXT' });
          return subscribe(source, args, context, info);
        };
    }
  }
  return schema;
}
