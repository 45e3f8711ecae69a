-- Up Migration
-- Scenarios with immutable versions, runs and batches, and the results the engine produces.
-- Every table carries team_id and every query filters by it (architecture.md §3).

CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT');
CREATE TYPE "RunTrigger" AS ENUM ('MANUAL', 'API', 'BATCH', 'SCHEDULE');
CREATE TYPE "TriageState" AS ENUM ('OPEN', 'ACKNOWLEDGED', 'WAIVED', 'FIXED');

CREATE TABLE scenario (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  tags text[] NOT NULL DEFAULT '{}',
  latest_version integer NOT NULL DEFAULT 1,
  archived_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (team_id, name)
);
CREATE INDEX scenario_team_updated_idx ON scenario (team_id, updated_at DESC, id);
CREATE INDEX scenario_tags_idx ON scenario USING gin (tags);

CREATE TABLE scenario_version (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  spec jsonb NOT NULL,
  spec_hash text NOT NULL,
  diff_summary text NOT NULL DEFAULT '',
  created_by_token_id uuid REFERENCES api_token (id) ON DELETE SET NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (scenario_id, version)
);
CREATE INDEX scenario_version_team_idx ON scenario_version (team_id);

CREATE TABLE run_batch (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid REFERENCES scenario (id) ON DELETE SET NULL,
  trigger "RunTrigger" NOT NULL,
  status "RunStatus" NOT NULL DEFAULT 'QUEUED',
  comparison jsonb,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  finished_at timestamptz(3)
);
CREATE INDEX run_batch_team_created_idx ON run_batch (team_id, created_at DESC, id);

CREATE TABLE run (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  scenario_version_id uuid NOT NULL REFERENCES scenario_version (id) ON DELETE CASCADE,
  batch_id uuid REFERENCES run_batch (id) ON DELETE SET NULL,
  profile text NOT NULL,
  overlays jsonb NOT NULL DEFAULT '[]',
  seed bigint NOT NULL,
  engine_version text NOT NULL,
  status "RunStatus" NOT NULL DEFAULT 'QUEUED',
  trigger "RunTrigger" NOT NULL,
  idempotency_key text,
  attempts integer NOT NULL DEFAULT 0,
  progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  error_code text,
  error_message text,
  result_hash text,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  started_at timestamptz(3),
  finished_at timestamptz(3),
  UNIQUE (team_id, idempotency_key)
);
CREATE INDEX run_team_created_idx ON run (team_id, created_at DESC, id DESC);
CREATE INDEX run_team_status_created_idx ON run (team_id, status, created_at DESC, id DESC);
CREATE INDEX run_team_scenario_created_idx ON run (team_id, scenario_id, created_at DESC, id DESC);
CREATE INDEX run_batch_idx ON run (batch_id) WHERE batch_id IS NOT NULL;
-- The reconciler looks for runs in flight across all teams.
CREATE INDEX run_in_flight_idx ON run (status) WHERE status IN ('QUEUED', 'RUNNING');

CREATE TABLE run_report (
  run_id uuid PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  report jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE violation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  class text NOT NULL CHECK (class ~ '^V[0-9]+$'),
  severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  device_id text NOT NULL,
  fingerprint text NOT NULL,
  count bigint NOT NULL CHECK (count >= 0),
  bytes_exposed bigint NOT NULL CHECK (bytes_exposed >= 0),
  data_class text NOT NULL,
  first_op bigint NOT NULL,
  path text NOT NULL,
  rule text NOT NULL,
  explanation text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (run_id, fingerprint)
);
CREATE INDEX violation_team_created_idx ON violation (team_id, created_at DESC, id DESC);
CREATE INDEX violation_team_class_severity_idx ON violation (team_id, class, severity, created_at DESC);
CREATE INDEX violation_team_fingerprint_idx ON violation (team_id, fingerprint);
CREATE INDEX violation_team_scenario_idx ON violation (team_id, scenario_id, created_at DESC);

CREATE TABLE violation_triage (
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  fingerprint text NOT NULL,
  state "TriageState" NOT NULL,
  reason text,
  owner text,
  expires_at timestamptz(3),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_by_token_id uuid REFERENCES api_token (id) ON DELETE SET NULL,
  PRIMARY KEY (team_id, fingerprint)
);

CREATE TABLE allocator_metrics (
  run_id uuid PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  scenario_id uuid NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
  nslabs integer NOT NULL,
  nareas integer NOT NULL,
  used integer NOT NULL,
  hiwater integer NOT NULL,
  failed_maps bigint NOT NULL,
  failed_coherent_allocs bigint NOT NULL,
  bounced_bytes_to_device bigint NOT NULL,
  bounced_bytes_from_device bigint NOT NULL,
  metrics jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX allocator_metrics_team_scenario_idx ON allocator_metrics (team_id, scenario_id, created_at);

CREATE TABLE metric_sample (
  run_id uuid NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  metric text NOT NULL,
  t bigint NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (run_id, metric, t)
);
CREATE INDEX metric_sample_t_brin ON metric_sample USING brin (t);

-- Down Migration
DROP TABLE metric_sample;
DROP TABLE allocator_metrics;
DROP TABLE violation_triage;
DROP TABLE violation;
DROP TABLE run_report;
DROP TABLE run;
DROP TABLE run_batch;
DROP TABLE scenario_version;
DROP TABLE scenario;
DROP TYPE "TriageState";
DROP TYPE "RunTrigger";
DROP TYPE "RunStatus";
