/** A rejected input's field errors as a form lists them: each message after the input path it is about. */
export function userErrorMessages(userErrors: ReadonlyArray<{ path: readonly string[]; message: string }>): string[] {
  return userErrors.map((e) => `${e.path.join('.')}: ${e.message}`);
}

/**
 * What to say when a request brought neither data nor a rejection: the server's first GraphQL error,
 * else the transport's, else `fallback` (a result with no error and no payload at all).
 */
export function requestErrorMessage(
  // The fields of urql's CombinedError this reads, so a hook's own narrowed error type fits too.
  error: { message: string; graphQLErrors: ReadonlyArray<{ message: string }> } | undefined,
  fallback: string,
): string {
  return error?.graphQLErrors[0]?.message ?? error?.message ?? fallback;
}
