import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { DashboardRepository } from './dashboard.repository';

/**
 * Keeps the dashboard's sharded rollups compact: the counters of the days before the current UTC
 * day are folded back into one row per key (DashboardRepository.foldCounterShards), and the
 * riskiest-scenarios and headroom rows into each key's newest (foldLatestShards). Workers call it
 * on every reconciler pass; folding is idempotent and never waits on a writer.
 */
export class DashboardMaintenance {
  constructor(
    private readonly rollups: DashboardRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Folds the past days' counter shards and the latest-row shards; a failure is logged (the next pass retries). */
  async foldShards(): Promise<void> {
    try {
      const keys = await this.rollups.foldCounterShards(this.clock.now());
      if (keys > 0) this.logger.info({ keys }, 'dashboard counters: folded the shards of past days');
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'dashboard counters: folding past days failed; retrying at the next pass');
    }
    try {
      const keys = await this.rollups.foldLatestShards();
      if (keys > 0) this.logger.debug({ keys }, 'dashboard latest rows: folded their shards');
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'dashboard latest rows: folding their shards failed; retrying at the next pass');
    }
  }
}
