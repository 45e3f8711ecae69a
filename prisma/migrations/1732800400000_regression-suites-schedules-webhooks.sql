-- Up Migration
-- Regression runs (issue 8): suites of scenarios x kernel entries, their batches, cron schedules
-- (BullMQ job schedulers are reconciled from these rows), comparisons with a baseline, replay
-- checks (engine determinism defects) and per-team webhooks with a delivery log.
CREATE TABLE suite (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  scenario_ids uuid[] NOT NULL,
  -- [{ "name": "kernel", "profile": "la-phys", "overlays": [{ "name": "...", "variant": "..." }] }]
  entries jsonb NOT NULL,
  seed bigint,
  baseline_policy text NOT NULL DEFAULT 'LAST_ACCEPTED' CHECK (baseline_policy IN ('LAST_ACCEPTED', 'PINNED', 'TAG')),
  baseline_batch_id uuid,
  baseline_tag text,
  -- [{ "metric": "swiotlb.hiwater", "maxIncrease": "0", "maxIncreasePercent": 5, "max": "0" }]
  thresholds jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (team_id, name)
);

CREATE TABLE schedule (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  suite_id uuid NOT NULL REFERENCES suite (id) ON DELETE CASCADE,
  name text NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL DEFAULT 'UTC',
  paused boolean NOT NULL DEFAULT false,
  overlap_policy text NOT NULL DEFAULT 'SKIP' CHECK (overlap_policy IN ('SKIP', 'ALLOW')),
  last_fired_at timestamptz(3),
  last_skipped_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (team_id, name)
);
CREATE INDEX schedule_suite_idx ON schedule (suite_id);

CREATE TABLE suite_batch (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  suite_id uuid NOT NULL REFERENCES suite (id) ON DELETE CASCADE,
  schedule_id uuid REFERENCES schedule (id) ON DELETE SET NULL,
  trigger text NOT NULL CHECK (trigger IN ('MANUAL', 'API', 'SCHEDULE', 'CI')),
  status "RunStatus" NOT NULL DEFAULT 'QUEUED',
  -- One run batch per scenario (RunService.submitMatrix), in suite order.
  run_batch_ids uuid[] NOT NULL DEFAULT '{}',
  -- Which run is which scenario x entry: [{ "runId", "scenarioId", "entryName" }], fixed at submission.
  plan jsonb NOT NULL DEFAULT '[]',
  tags text[] NOT NULL DEFAULT '{}',
  accepted_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  finished_at timestamptz(3)
);
CREATE INDEX suite_batch_suite_created_idx ON suite_batch (team_id, suite_id, created_at DESC, id DESC);
CREATE INDEX suite_batch_schedule_idx ON suite_batch (schedule_id, created_at DESC);
CREATE INDEX suite_batch_run_batches_idx ON suite_batch USING gin (run_batch_ids);
ALTER TABLE suite ADD CONSTRAINT suite_baseline_batch_fk FOREIGN KEY (baseline_batch_id) REFERENCES suite_batch (id) ON DELETE SET NULL;

CREATE TABLE comparison (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  suite_id uuid NOT NULL REFERENCES suite (id) ON DELETE CASCADE,
  batch_id uuid NOT NULL REFERENCES suite_batch (id) ON DELETE CASCADE,
  baseline_batch_id uuid REFERENCES suite_batch (id) ON DELETE SET NULL,
  verdict text NOT NULL CHECK (verdict IN ('PASS', 'REGRESSED', 'IMPROVED', 'NOT_COMPARABLE', 'ERROR')),
  detail jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  -- handleBatchCompleted is idempotent: one comparison per batch.
  UNIQUE (batch_id)
);
CREATE INDEX comparison_team_created_idx ON comparison (team_id, created_at DESC, id DESC);

CREATE TABLE run_replay (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  engine_version text NOT NULL,
  expected_hash text NOT NULL,
  actual_hash text NOT NULL,
  identical boolean NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
-- Engine determinism defects are the replays whose hash differed.
CREATE INDEX run_replay_defects_idx ON run_replay (team_id, created_at DESC) WHERE NOT identical;

CREATE TABLE webhook (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  url text NOT NULL,
  -- The HMAC key must be usable to sign, so it is stored as given (shown once at creation).
  secret text NOT NULL,
  events text[] NOT NULL,
  suite_ids uuid[] NOT NULL DEFAULT '{}',
  min_severity text,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX webhook_team_idx ON webhook (team_id);

CREATE TABLE webhook_delivery (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  webhook_id uuid NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
  event text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts integer NOT NULL DEFAULT 0,
  response_status integer,
  last_error text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  delivered_at timestamptz(3)
);
CREATE INDEX webhook_delivery_webhook_created_idx ON webhook_delivery (team_id, webhook_id, created_at DESC, id DESC);

-- Down Migration
DROP TABLE webhook_delivery;
DROP TABLE webhook;
DROP TABLE run_replay;
DROP TABLE comparison;
ALTER TABLE suite DROP CONSTRAINT suite_baseline_batch_fk;
DROP TABLE suite_batch;
DROP TABLE schedule;
DROP TABLE suite;
