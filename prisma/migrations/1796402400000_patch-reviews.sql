-- Up Migration
-- Patch reviews (GraphQL reviewPatch, the dashboard's Review page): one matrix batch per scenario
-- with the base and patched kernels and one probe column per hunk the patched overlays leave off,
-- run by the workers like any batch. The review is assembled from the stored reports once every
-- run has ended and kept, so reading it later does not read the reports again.
-- A run may cap a generated workload at fewer operations than its spec (explicit lists run whole),
-- like `dmasim run --operations N`.
ALTER TABLE run ADD COLUMN operations_cap integer CHECK (operations_cap IS NULL OR operations_cap > 0);
CREATE TABLE patch_review (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  -- The kernels as written: profile[+overlay[:variant][+hunk|-hunk]...]...
  base text NOT NULL,
  patched text NOT NULL,
  operations_cap integer CHECK (operations_cap IS NULL OR operations_cap > 0),
  -- What was reviewed: { "kind": "scenarios" | "suite" | "examples", "suiteId"? }.
  source jsonb NOT NULL,
  -- Per scenario: { "scenarioId", "scenarioName", "runBatchId", "baseRunId", "patchedRunId", "probes": [{ "hunk", "runId" }] }.
  plan jsonb NOT NULL DEFAULT '[]',
  -- Scenarios not submitted (the kernels do not apply to them): [{ "scenario", "reason" }].
  skipped jsonb NOT NULL DEFAULT '[]',
  -- The assembled review ({ scenarios, skipped, total, markdown }) once every run has ended; NULL before.
  result jsonb,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  finished_at timestamptz(3)
);
CREATE INDEX patch_review_team_created_idx ON patch_review (team_id, created_at DESC, id DESC);

-- Down Migration
DROP TABLE patch_review;
ALTER TABLE run DROP COLUMN operations_cap;
