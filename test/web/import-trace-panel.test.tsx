import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ImportTracePanel } from '../../web/src/components/import-trace-panel';
import { renderWithFakeServer, type GraphqlRequest } from './support/fake-server';

// The import panel against a fake server: fetch answers ImportTrace, recording each request's input.
const requests: Array<Record<string, unknown>> = [];

const summary = {
  __typename: 'TraceImportSummary',
  linesRead: 22,
  eventsDecoded: 9,
  headerLines: 12,
  unknownLines: 1,
  unknownLineNumbers: [5],
  malformedLines: 0,
  opsWritten: 9,
  opsNotWritten: 0,
  unclassifiedOps: 3,
  liveAtEnd: 2,
  bouncedOnly: false,
  devices: [
    {
      __typename: 'ImportedTraceDevice',
      traceName: 'f8b3781b-1e82-4818-a1c3-63d806ec15bb',
      id: 'storvsc0',
      kind: 'vmbus-storvsc',
      trust: 'confidential-vmbus',
      dmaMaskBits: null,
      source: 'mapped',
    },
  ],
  warnings: [{ __typename: 'TraceImportCount', what: 'sync of an address with no traced live mapping', count: 2 }],
  otherEvents: [{ __typename: 'TraceImportCount', what: 'irq_handler_entry', count: 1 }],
  unsupportedEvents: [],
};

function answer(input: Record<string, unknown>): unknown {
  if (String(input.trace).includes('SIDEWAYS'))
    return {
      __typename: 'InputRejected',
      userErrors: [
        {
          __typename: 'UserError',
          path: ['input', 'trace'],
          message: "line 2, column 83: dma_map_phys: dir: 'SIDEWAYS' is not TO_DEVICE",
          code: 'MALFORMED_TRACE_LINE',
        },
      ],
    };
  return {
    __typename: 'TraceImported',
    specYaml: '# Imported\n',
    scenario: input.create ? { __typename: 'Scenario', id: 'sc-1', name: String(input.name) } : null,
    skippedLines: [],
    summary,
  };
}

function serve({ operationName, variables }: GraphqlRequest): unknown {
  if (operationName !== 'ImportTrace') return null;
  const input = variables.input as Record<string, unknown>;
  requests.push(input);
  return { importTrace: answer(input) };
}

function renderPanel(): void {
  renderWithFakeServer(<ImportTracePanel />, serve);
}

const traceText = '# tracer: nop\n  fio-4242 [003] ..... 5012.000200: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE\n';

beforeEach(() => {
  requests.length = 0;
});

describe('ImportTracePanel', () => {
  it('sends the file, device map and data rules, previews without storing, then creates the scenario', async () => {
    const user = userEvent.setup();
    renderPanel();

    await user.upload(
      screen.getByLabelText(/Trace file/),
      new File([traceText], 'storvsc run.txt', { type: 'text/plain' }),
    );
    await user.type(
      screen.getByLabelText(/Device map/),
      'f8b3781b-1e82-4818-a1c3-63d806ec15bb=vmbus-storvsc,trust=confidential-vmbus,id=storvsc0',
    );
    await user.type(screen.getByLabelText(/Data rules/), 'storvsc0:to-device=secret{enter}*=public');
    await user.click(screen.getByRole('button', { name: 'Preview' }));

    expect(await screen.findByText('Preview: nothing stored yet.')).toBeTruthy();
    expect(requests[0]).toMatchObject({
      trace: traceText,
      devices: ['f8b3781b-1e82-4818-a1c3-63d806ec15bb=vmbus-storvsc,trust=confidential-vmbus,id=storvsc0'],
      data: ['storvsc0:to-device=secret', '*=public'],
      create: false,
      name: 'storvsc-run',
    });
    const shown = screen.getByLabelText('Import summary');
    expect(shown.textContent).toContain('22 lines, 9 DMA events → 9 ops (2 mappings live at the end)');
    expect(shown.textContent).toContain('1 lines are not ftrace event lines (first at line 5)');
    expect(shown.textContent).toContain('3 ops carry data of class unknown');
    expect(shown.textContent).toContain('Other events ignored: irq_handler_entry ×1');
    expect(shown.textContent).toContain('2 × sync of an address with no traced live mapping');
    const device = within(screen.getByRole('table', { name: 'Devices' })).getAllByRole('row')[1]!;
    expect(
      within(device)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['f8b3781b-1e82-4818-a1c3-63d806ec15bb', 'storvsc0', 'vmbus-storvsc', 'confidential-vmbus', 'mapped']);

    await user.click(screen.getByRole('button', { name: 'Import and create scenario' }));
    const created = await screen.findByText(/Created scenario/);
    expect(requests[1]).toMatchObject({ create: true });
    expect(within(created).getByRole('link', { name: 'storvsc-run' }).getAttribute('href')).toBe('/scenarios/sc-1');
  });

  it('shows LINE:COLUMN errors of a malformed trace and asks for a file before sending', async () => {
    const user = userEvent.setup();
    renderPanel();

    await user.click(screen.getByRole('button', { name: 'Preview' }));
    expect(screen.getByRole('alert').textContent).toContain('Choose a trace file first.');
    expect(requests).toHaveLength(0);

    await user.upload(
      screen.getByLabelText(/Trace file/),
      new File(['x dma_map_phys: 0000:00:04.0 dir=SIDEWAYS\n'], 'bad.txt', { type: 'text/plain' }),
    );
    await user.click(screen.getByRole('button', { name: 'Import and create scenario' }));

    expect((await screen.findByRole('alert')).textContent).toContain(
      "input.trace: line 2, column 83: dma_map_phys: dir: 'SIDEWAYS'",
    );
    expect(screen.queryByLabelText('Import summary')).toBeNull();
  });
});
