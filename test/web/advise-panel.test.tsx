import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AdvisePanel } from '../../web/src/components/advise-panel';
import { renderWithFakeServer, type GraphqlRequest } from './support/fake-server';

// The pool-sizing panel against a fake server that answers the Advise query and records its input.
const requests: Array<Record<string, unknown>> = [];

const pool = (overrides: Record<string, unknown>) => ({
  __typename: 'PoolAdvice',
  param: 'swiotlb',
  failureClass: 'F1',
  failuresAsGiven: 0,
  value: null,
  effectiveSize: null,
  unit: 'slots',
  decryptedBytes: null,
  lowMemoryBytes: null,
  peakUsed: null,
  headroom: null,
  runs: 0,
  monotone: true,
  timedOut: false,
  note: '',
  ...overrides,
});

function answer(input: Record<string, unknown>): unknown {
  const profiles = (input.profiles as string[] | undefined) ?? ['v7.2'];
  if (profiles.includes('v9.9'))
    return {
      __typename: 'InputRejected',
      userErrors: [
        {
          __typename: 'UserError',
          path: ['input', 'profiles', '0'],
          message: 'no release v9.9',
          code: 'INVALID_PROFILE',
        },
      ],
    };
  return {
    __typename: 'PoolSizing',
    operations: 40,
    scenarioVersion: { __typename: 'ScenarioVersion', version: 3 },
    profiles: profiles.map((profile) => ({
      __typename: 'ProfileAdvice',
      profile,
      privatePoolBytes: profile === 'v7.2' ? '4194304' : null,
      swiotlb: pool({
        failuresAsGiven: 12,
        value: '1152,1',
        effectiveSize: '2048',
        decryptedBytes: '4194304',
        lowMemoryBytes: '4194304',
        peakUsed: '1280',
        headroom: '768',
        runs: 9,
        note: 'bisection; sizes above the boundary checked (default is 32768 slots)',
      }),
      coherentPool: pool({
        param: 'coherent_pool',
        failureClass: 'F7',
        unit: 'bytes',
        effectiveSize: '131072',
        headroom: '65536',
        note: 'no F7 with the default pools: nothing to change',
      }),
    })),
  };
}

function serve({ operationName, variables }: GraphqlRequest): unknown {
  if (operationName !== 'Advise') return null;
  const input = variables.input as Record<string, unknown>;
  requests.push(input);
  return { advise: answer(input) };
}

function renderPanel(): void {
  renderWithFakeServer(<AdvisePanel scenarioId="sc-1" />, serve);
}

beforeEach(() => {
  requests.length = 0;
});

describe('AdvisePanel', () => {
  it('runs nothing until asked, then shows one row per pool and profile with value, cost and headroom', async () => {
    const user = userEvent.setup();
    renderPanel();
    expect(requests).toHaveLength(0);

    await user.type(screen.getByLabelText(/Kernel profiles/), 'v7.2, v6.12');
    await user.click(screen.getByRole('button', { name: 'Size the pools' }));

    const table = await screen.findByRole('table', { name: 'Smallest pools without exhaustion' });
    expect(requests).toEqual([{ scenarioId: 'sc-1', profiles: ['v7.2', 'v6.12'] }]);
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) =>
        within(r)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      );
    expect(rows).toHaveLength(5); // v7.2: swiotlb, coherent_pool, private pool; v6.12: swiotlb, coherent_pool
    expect(rows[0]).toEqual([
      'v7.2',
      'F1',
      '12',
      'swiotlb=1152,1',
      '2,048 slots',
      '4.0 MiB',
      '4.0 MiB',
      '768 slots',
      '9',
      'bisection; sizes above the boundary checked (default is 32768 slots)',
    ]);
    expect(rows[1]!.slice(0, 5)).toEqual(['v7.2', 'F7', '0', '(keep default)', '128.0 KiB']);
    expect(rows[2]!.join(' ')).toContain('dual-swiotlb-pools: the private pool has the same size, 4.0 MiB');
    expect(rows[3]![0]).toBe('v6.12');
    expect(screen.getByText(/Version 3, 40 operations per engine run/)).toBeTruthy();
  });

  it('shows the reason when the server rejects the request', async () => {
    const user = userEvent.setup();
    renderPanel();
    await user.type(screen.getByLabelText(/Kernel profiles/), 'v9.9');
    await user.click(screen.getByRole('button', { name: 'Size the pools' }));

    expect((await screen.findByRole('alert')).textContent).toContain('no release v9.9');
    expect(screen.queryByRole('table')).toBeNull();
  });
});
