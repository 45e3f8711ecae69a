import { print } from 'graphql';
import { useApiHarness } from '../../support/api-harness';
import { buildViolation, completeRun, newTestTeam } from '../../support/factories';
import { CompareRunSetDocument, type CompareRunSetQuery } from '../../../web/src/api/generated/graphql';

// compareRuns and compareRunSet over stored results: the one comparison with the team's finding
// history (triage FIXED, fingerprints of earlier runs) deciding reopened, and N columns against
// one baseline. The run-set query is the dashboard's own document, so it also passes the API's
// query limits.
describe('compareRuns and compareRunSet', () => {
  const api = useApiHarness();

  async function triageFixed(teamId: string, fingerprint: string): Promise<void> {
    // No mutation marks a fingerprint FIXED (a fix is recorded by the team's process); write the decision as that would.
    await api.db.violationTriage.create({ data: { teamId, fingerprint, state: 'FIXED' } });
  }

  describe('compareRuns', () => {
    it('reports a fingerprint triaged FIXED, or found by an earlier run and gone in A, as reopened, not new', async () => {
      const team = await newTestTeam(api.harness);
      const { token, teamId } = team;
      const scenarioId = await team.scenario('reopen');
      // An older run found 'old-leak'; A (the baseline) no longer has it.
      const older = await team.queuedRun(scenarioId);
      await completeRun(api.db, older, {
        violations: [buildViolation({ fingerprint: 'old-leak', class: 'V4', deviceId: 'nvme0' })],
      });
      const a = await team.queuedRun(scenarioId);
      const b = await team.queuedRun(scenarioId);
      await completeRun(api.db, a, { violations: [buildViolation({ fingerprint: 'kept' })] });
      await completeRun(api.db, b, {
        violations: [
          buildViolation({ fingerprint: 'kept' }),
          buildViolation({ fingerprint: 'back', class: 'V3', deviceId: 'nic0' }),
          buildViolation({ fingerprint: 'old-leak', class: 'V4', deviceId: 'nvme0' }),
          buildViolation({ fingerprint: 'fresh', class: 'V2', deviceId: 'nic0', severity: 'high' }),
        ],
      });
      await triageFixed(teamId, 'back');

      const response = await api.harness.gql<{
        compareRuns: {
          newViolations: Array<{ fingerprint: string }>;
          reopenedViolations: Array<{ fingerprint: string }>;
          persistingViolations: Array<{ fingerprint: string }>;
          summary: string;
        };
      }>(
        token,
        'query($a: UUID!, $b: UUID!) { compareRuns(a: $a, b: $b) { newViolations { fingerprint } reopenedViolations { fingerprint } persistingViolations { fingerprint } summary } }',
        { a: a.id, b: b.id },
      );

      expect(response.errors).toBeUndefined();
      const c = response.data.compareRuns;
      expect(c.newViolations.map((v) => v.fingerprint)).toEqual(['fresh']);
      expect(c.reopenedViolations.map((v) => v.fingerprint).sort()).toEqual(['back', 'old-leak']);
      expect(c.persistingViolations.map((v) => v.fingerprint)).toEqual(['kept']);
      expect(c.summary).toBe('vs v7.2: fixed 0, new 1, reopened 2, moved 0, failures ±0');
    });

    it('keeps a fingerprint new when only B itself (or a run after A) found it', async () => {
      const team = await newTestTeam(api.harness);
      const { token } = team;
      const scenarioId = await team.scenario('not-reopened');
      const a = await team.queuedRun(scenarioId);
      const b = await team.queuedRun(scenarioId);
      const later = await team.queuedRun(scenarioId);
      await completeRun(api.db, a, { violations: [] });
      await completeRun(api.db, later, { violations: [buildViolation({ fingerprint: 'fresh' })] });
      await completeRun(api.db, b, { violations: [buildViolation({ fingerprint: 'fresh' })] });

      const response = await api.harness.gql<{
        compareRuns: { newViolations: Array<{ fingerprint: string }>; reopenedViolations: unknown[] };
      }>(
        token,
        'query($a: UUID!, $b: UUID!) { compareRuns(a: $a, b: $b) { newViolations { fingerprint } reopenedViolations { fingerprint } } }',
        { a: a.id, b: b.id },
      );

      expect(response.data.compareRuns.newViolations.map((v) => v.fingerprint)).toEqual(['fresh']);
      expect(response.data.compareRuns.reopenedViolations).toEqual([]);
    });
  });

  describe('compareRunSet', () => {
    it('compares every later run with the first: counts, summary lines, finding cells per column and metric directions', async () => {
      const team = await newTestTeam(api.harness);
      const { token, teamId } = team;
      const scenarioId = await team.scenario('set');
      const older = await team.queuedRun(scenarioId);
      await completeRun(api.db, older, {
        violations: [buildViolation({ fingerprint: 'old', class: 'V4', deviceId: 'nvme0' })],
      });
      const a = await team.queuedRun(scenarioId);
      const b = await team.queuedRun(scenarioId, { profile: 'lb' });
      const c = await team.queuedRun(scenarioId, { profile: 'la-phys' });
      // Stored violations come back ordered by class, device, fingerprint: the baseline rows are kept (V1), gone (V2), mv (V5).
      await completeRun(api.db, a, {
        violations: [
          buildViolation({ fingerprint: 'kept' }),
          buildViolation({ fingerprint: 'gone', class: 'V2', deviceId: 'nvme0', severity: 'high' }),
          buildViolation({ fingerprint: 'mv', class: 'V5', deviceId: 'blk0', path: 'p1', rule: 'A4' }),
        ],
        metrics: { all: { failedMaps: 0, 'swiotlb.hiwater': 100, 'cost.bounceCopyNs': 50, 'swiotlb.nslabs': 1024 } },
      });
      // B: kept grew, gone fixed, mv moved (same exposure, other path and rule), fresh new, back reopened (triaged FIXED).
      await completeRun(api.db, b, {
        violations: [
          buildViolation({ fingerprint: 'kept', bytesExposed: 81920n }),
          buildViolation({ fingerprint: 'mv2', class: 'V5', deviceId: 'blk0', path: 'p2', rule: 'B5' }),
          buildViolation({ fingerprint: 'fresh', deviceId: 'nic0' }),
          buildViolation({ fingerprint: 'back', class: 'V3', deviceId: 'nic0' }),
        ],
        metrics: { all: { failedMaps: 2, 'swiotlb.hiwater': 100, 'cost.bounceCopyNs': 40, 'swiotlb.nslabs': 1024 } },
      });
      // C: kept and gone persist, mv fixed, fresh new, old reopened (an earlier run found it; A does not have it).
      await completeRun(api.db, c, {
        violations: [
          buildViolation({ fingerprint: 'kept' }),
          buildViolation({ fingerprint: 'gone', class: 'V2', deviceId: 'nvme0', severity: 'high' }),
          buildViolation({ fingerprint: 'fresh', deviceId: 'nic0' }),
          buildViolation({ fingerprint: 'old', class: 'V4', deviceId: 'nvme0' }),
        ],
        metrics: { all: { failedMaps: 0, 'swiotlb.hiwater': 150, 'cost.bounceCopyNs': 50, 'swiotlb.nslabs': 2048 } },
      });
      await triageFixed(teamId, 'back');

      const response = await api.harness.gql<CompareRunSetQuery>(token, print(CompareRunSetDocument), {
        runIds: [a.id, b.id, c.id],
      });

      expect(response.errors).toBeUndefined();
      const set = response.data.compareRunSet;
      expect(set.baseline.id).toBe(a.id);
      expect(set.columns.map((col) => [col.run.id, col.summary, col.counts])).toEqual([
        [
          b.id,
          'vs v7.2: fixed 1, new 1, reopened 1, moved 1, failures ±0',
          { new: 1, reopened: 1, fixed: 1, persisting: 1, moved: 1 },
        ],
        [
          c.id,
          'vs v7.2: fixed 1, new 1, reopened 1, moved 0, failures ±0',
          { new: 1, reopened: 1, fixed: 1, persisting: 2, moved: 0 },
        ],
      ]);
      const rows = set.findings.map((row) => [
        `${row.class} ${row.deviceId}`,
        row.baseline?.fingerprint ?? null,
        ...row.cells.map((cell) =>
          cell ? `${cell.status}${cell.grew ? '+' : ''}:${cell.violation?.fingerprint ?? '-'}` : null,
        ),
      ]);
      expect(rows).toEqual([
        ['V1 storvsc0', 'kept', 'PERSISTING+:kept', 'PERSISTING:kept'],
        ['V2 nvme0', 'gone', 'FIXED:-', 'PERSISTING:gone'],
        ['V5 blk0', 'mv', 'MOVED:mv2', 'FIXED:-'],
        ['V1 nic0', null, 'NEW:fresh', 'NEW:fresh'],
        ['V3 nic0', null, 'REOPENED:back', null],
        ['V4 nvme0', null, null, 'REOPENED:old'],
      ]);
      // Only metrics that differ somewhere; sorted by key; the exact delta and its direction per column.
      expect(set.metrics).toEqual([
        {
          metric: 'cost.bounceCopyNs',
          baseline: 50,
          cells: [
            { value: 40, delta: '-10', direction: 'BETTER' },
            { value: 50, delta: '0', direction: 'UNCHANGED' },
          ],
        },
        {
          metric: 'failedMaps',
          baseline: 0,
          cells: [
            { value: 2, delta: '2', direction: 'WORSE' },
            { value: 0, delta: '0', direction: 'UNCHANGED' },
          ],
        },
        {
          metric: 'swiotlb.hiwater',
          baseline: 100,
          cells: [
            { value: 100, delta: '0', direction: 'UNCHANGED' },
            { value: 150, delta: '50', direction: 'WORSE' },
          ],
        },
        {
          metric: 'swiotlb.nslabs',
          baseline: 1024,
          cells: [
            { value: 1024, delta: '0', direction: 'UNCHANGED' },
            { value: 2048, delta: '1024', direction: 'NEUTRAL' },
          ],
        },
      ]);
    });

    it('refuses fewer than two, more than eight and repeated runs, and another team’s run', async () => {
      const team = await newTestTeam(api.harness);
      const other = await newTestTeam(api.harness);
      const { token } = team;
      const scenarioId = await team.scenario('limits');
      const a = await team.queuedRun(scenarioId);
      const b = await team.queuedRun(scenarioId);
      const foreign = await other.queuedRun(await other.scenario('foreign'));
      const codeOf = async (runIds: string[]): Promise<string | undefined> =>
        (
          await api.harness.gql(token, 'query($r: [UUID!]!) { compareRunSet(runIds: $r) { baseline { id } } }', {
            r: runIds,
          })
        ).errors?.[0]?.extensions?.code;

      expect(await codeOf([a.id])).toBe('BAD_USER_INPUT');
      expect(await codeOf(Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? a.id : b.id)))).toBe('BAD_USER_INPUT');
      expect(await codeOf([a.id, b.id, a.id])).toBe('BAD_USER_INPUT');
      expect(await codeOf([a.id, foreign.id])).toBe('NOT_FOUND');
    });
  });
});
