-- Up Migration
-- The riskiest-scenarios and headroom rollups (scenario_kernel_latest_run,
-- scenario_headroom_latest) were one row per scenario (and kernel), moved by every stored result:
-- the results of one scenario's runs, which a regression suite or a batch of seeds brings in
-- together, queued on those two row locks until the holder had committed. Sampled with four worker
-- processes storing results of one scenario, the result statement waited on them
-- (Lock:transactionid) about a quarter of the time backends spent in it, and never without them.
-- As with the counters, each key now has up to 16 shard rows, a writer moves the row of its own
-- connection's shard (rollup_shard()), and readers take the newest row of each key. Workers fold
-- the shard rows back into shard 0 on every reconciler pass
-- (DashboardRepository.foldLatestShards), so a key not written since holds one row.
ALTER TABLE scenario_kernel_latest_run ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE scenario_kernel_latest_run DROP CONSTRAINT scenario_kernel_latest_run_pkey,
  ADD PRIMARY KEY (team_id, scenario_id, profile, overlays, shard);

ALTER TABLE scenario_headroom_latest ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE scenario_headroom_latest DROP CONSTRAINT scenario_headroom_latest_pkey,
  ADD PRIMARY KEY (team_id, scenario_id, shard);

-- The rows to fold (after a fold they hold only the keys written since).
CREATE INDEX scenario_kernel_latest_run_unfolded_idx ON scenario_kernel_latest_run (team_id) WHERE shard <> 0;
CREATE INDEX scenario_headroom_latest_unfolded_idx ON scenario_headroom_latest (team_id) WHERE shard <> 0;

-- Down Migration
-- Each key keeps its newest row, in shard 0.
DROP INDEX scenario_kernel_latest_run_unfolded_idx;
DROP INDEX scenario_headroom_latest_unfolded_idx;

DELETE FROM scenario_kernel_latest_run k USING scenario_kernel_latest_run n
WHERE n.team_id = k.team_id AND n.scenario_id = k.scenario_id AND n.profile = k.profile AND n.overlays = k.overlays
  AND (n.finished_at, n.run_id) > (k.finished_at, k.run_id);
UPDATE scenario_kernel_latest_run SET shard = 0 WHERE shard <> 0;
ALTER TABLE scenario_kernel_latest_run DROP CONSTRAINT scenario_kernel_latest_run_pkey, DROP COLUMN shard;
ALTER TABLE scenario_kernel_latest_run ADD PRIMARY KEY (team_id, scenario_id, profile, overlays);

DELETE FROM scenario_headroom_latest h USING scenario_headroom_latest n
WHERE n.team_id = h.team_id AND n.scenario_id = h.scenario_id AND (n.at, n.run_id) > (h.at, h.run_id);
UPDATE scenario_headroom_latest SET shard = 0 WHERE shard <> 0;
ALTER TABLE scenario_headroom_latest DROP CONSTRAINT scenario_headroom_latest_pkey, DROP COLUMN shard;
ALTER TABLE scenario_headroom_latest ADD PRIMARY KEY (team_id, scenario_id);
