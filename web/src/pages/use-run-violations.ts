import { useEffect, useState } from 'react';
import { useClient } from 'urql';
import { requestErrorMessage } from '../api/errors';
import { RunViolationsDocument, type RunViolationsQuery, type ViolationFieldsFragment } from '../api/generated/graphql';

export interface RunViolationsState {
  readonly violations: readonly ViolationFieldsFragment[];
  readonly totalCount: number;
  readonly loading: boolean;
  readonly error: string | null;
}

/** Every violation of a run, fetched page by page (the API pages violations 25 at a time here). */
export function useRunViolations(runId: string): RunViolationsState {
  const client = useClient();
  const [state, setState] = useState<RunViolationsState>({ violations: [], totalCount: 0, loading: true, error: null });
  useEffect(() => {
    let cancelled = false;
    const load = async (): Promise<void> => {
      const all: ViolationFieldsFragment[] = [];
      let after: string | null = null;
      for (;;) {
        const result: {
          data?: RunViolationsQuery | undefined;
          error?: { message: string; graphQLErrors: ReadonlyArray<{ message: string }> } | undefined;
        } = await client
          .query(RunViolationsDocument, { id: runId, after }, { requestPolicy: 'network-only' })
          .toPromise();
        if (cancelled) return;
        if (result.error || !result.data) {
          setState({
            violations: all,
            totalCount: all.length,
            loading: false,
            error: requestErrorMessage(result.error, 'no data'),
          });
          return;
        }
        const page: RunViolationsQuery['violations'] = result.data.violations;
        all.push(...page.edges.map((e) => e.node));
        setState({
          violations: [...all],
          totalCount: page.totalCount,
          loading: page.pageInfo.hasNextPage,
          error: null,
        });
        if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
        after = page.pageInfo.endCursor;
      }
    };
    void load();
    return () => {
      cancelled = true;
    };
  }, [client, runId]);
  return state;
}
