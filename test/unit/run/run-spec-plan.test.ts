import pino from 'pino';
import { engineSpecValidator } from '../../../src/modules/scenario/engine-spec-validator';
import type { ScenarioService } from '../../../src/modules/scenario/scenario.service';
import type { ScenarioVersion, SpecValidator } from '../../../src/modules/scenario/scenario.types';
import type { RunQueue } from '../../../src/modules/run/run.queue';
import type { RunRepository } from '../../../src/modules/run/run.repository';
import { RunService } from '../../../src/modules/run/run.service';
import type { NewRun } from '../../../src/modules/run/run.types';
import { minimalSpecYaml } from '../../support/spec-fixtures';

// RunService validates a version's spec with the run's overrides once per (version, overrides):
// versions are immutable, so later submissions reuse the answer, errors included.
describe('RunService spec plans', () => {
  const viewer = { teamId: 'team-1', tokenId: 'token-1', role: 'member' as const };

  function serviceWith(version: ScenarioVersion) {
    const validated: unknown[] = [];
    const specs: SpecValidator = {
      parseText: (text) => engineSpecValidator.parseText(text),
      validate: (spec) => {
        validated.push(spec);
        return engineSpecValidator.validate(spec);
      },
    };
    const inserted: NewRun[] = [];
    const runs = {
      insert: async (run: NewRun) => {
        inserted.push(run);
        return { ...run, id: `run-${inserted.length}`, status: 'QUEUED', createdAt: new Date(0) };
      },
    } as unknown as RunRepository;
    const scenarios = {
      versionToRun: async () => ({ version, scenarioName: 's', scenarioArchived: false }),
    } as unknown as ScenarioService;
    const queue = { enqueue: async () => undefined } as unknown as RunQueue;
    const service = new RunService(
      runs,
      scenarios,
      specs,
      queue,
      { now: () => new Date(0) },
      pino({ level: 'silent' }),
    );
    return { service, validated, inserted };
  }

  it('validates each version and overrides once, and answers repeats from what it kept', async () => {
    const parsed = engineSpecValidator.parseText(minimalSpecYaml({ profile: 'v7.2' }));
    if (!parsed.ok) throw new Error('the fixture spec must be valid');
    const version: ScenarioVersion = {
      id: 'version-1',
      teamId: 'team-1',
      scenarioId: 'scenario-1',
      version: 1,
      spec: parsed.spec,
      specHash: 'h',
      diffSummary: '',
      createdAt: new Date(0),
    };
    const { service, validated, inserted } = serviceWith(version);

    for (const overrides of [{}, {}, { profile: 'v6.6' }, { profile: 'v6.6' }, {}])
      await service.submit(viewer, { scenarioId: 'scenario-1', overrides });
    const refused = [];
    for (let i = 0; i < 2; i++)
      refused.push(
        await service.submit(viewer, { scenarioId: 'scenario-1', overrides: { profile: 'no-such-kernel' } }),
      );

    expect(validated).toHaveLength(3);
    expect(inserted.map((run) => run.profile)).toEqual(['v7.2', 'v7.2', 'v6.6', 'v6.6', 'v7.2']);
    // Each run gets its own overlay objects, not the kept ones.
    expect(inserted[0]!.overlays).not.toBe(inserted[1]!.overlays);
    for (const answer of refused) {
      expect(answer).toEqual({
        userErrors: [
          expect.objectContaining({ code: 'INVALID_OVERRIDE', path: expect.arrayContaining(['input', 'overrides']) }),
        ],
      });
    }
  });
});
