// npm run bench:notify — what a run change notification costs the commits that carry it. A fresh
// database with dmasim's migrations; C concurrent connections each change their own RUNNING run's
// progress in a loop for S seconds, in one of two ways:
//
// - notify-in-commit: one UPDATE whose row trigger NOTIFYs inside the transaction (how every
//   writer but the run path's two statements is notified). PostgreSQL takes its cluster-wide
//   notification lock before the commit record and holds it until the commit is flushed, so these
//   commits go one at a time, each across its own WAL flush;
// - notify-after-commit: the UPDATE leaves the notification to the writer (run_notify_after_commit())
//   and returns the payload, then run_updated_notify_now() sends it in a transaction of its own that
//   does not wait for its flush (how the RUNNING write and the result statement do it): the durable
//   commits share WAL flushes (group commit) and the lock is held for microseconds.
//
// --commit-delay-us D sets commit_delay on the benchmark's sessions (commit_siblings 1): each flush
// waits D µs first, as on a disk whose flush takes that long (this machine's takes about 60 µs).
// Prints one line per case (commits/s, notifications heard by a listener, which must equal the
// commits) and one line per (C, D) with the ratio after/in. `--json`: JSON lines.
// Options: --clients 8,32 --commit-delay-us 0,1000 --seconds 8 --keep-db.
import { Client, type ClientConfig } from 'pg';
import { createBenchDatabase, printCaseLine, runBench } from './bench-support';
import { runMigrations } from '../src/platform/migrate';
import { runUpdatedChannel } from '../src/modules/run/run.types';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const asJson = args.includes('--json');
const keepDatabase = args.includes('--keep-db');
const clientCounts = option('clients', '8,32').split(',').filter(Boolean).map(Number);
const commitDelaysUs = option('commit-delay-us', '0,1000').split(',').filter(Boolean).map(Number);
const seconds = Number(option('seconds', '8'));
const adminUrl = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The next progress value: moves every time (a visible change), stays within [0, 1). */
const nextProgress = `CASE WHEN progress >= 0.99 THEN 0 ELSE progress + 0.001 END`;
const statements = {
  inCommit: { name: 'bench_in_commit', text: `UPDATE run SET progress = ${nextProgress} WHERE id = $1::uuid` },
  deferred: {
    name: 'bench_deferred',
    text: `UPDATE run SET progress = ${nextProgress} WHERE id = $1::uuid AND run_notify_after_commit()
      RETURNING run_updated_payload(run) AS payload`,
  },
  notifyNow: { name: 'bench_notify_now', text: 'SELECT run_updated_notify_now($1)' },
} as const;

type Mode = 'notify-in-commit' | 'notify-after-commit';

async function main(): Promise<void> {
  const database = await createBenchDatabase(adminUrl, 'dmasim_bench_notify');
  const databaseUrl = database.url;
  try {
    await runMigrations({ databaseUrl, schema: 'public' });
    const runIds = await seedRunningRuns(databaseUrl, Math.max(...clientCounts));
    let pairIndex = 0;
    for (const clients of clientCounts)
      for (const commitDelayUs of commitDelaysUs) {
        const rates = new Map<Mode, number>();
        // Which mode goes first alternates from pair to pair, so neither always runs on a fresher table.
        const modes: Mode[] = ['notify-in-commit', 'notify-after-commit'];
        for (const mode of pairIndex++ % 2 === 0 ? modes : modes.reverse()) {
          const line = await measure(databaseUrl, runIds.slice(0, clients), mode, commitDelayUs);
          rates.set(mode, Number(line['commitsPerSec']));
          report(line);
        }
        report({
          case: `notify-c${clients}-delay${commitDelayUs}us`,
          afterToInCommit: Math.round((rates.get('notify-after-commit')! / rates.get('notify-in-commit')!) * 100) / 100,
        });
      }
  } finally {
    await database.close(keepDatabase);
  }
}

/** A team, a scenario and `count` RUNNING runs, one per benchmark connection. */
async function seedRunningRuns(databaseUrl: string, count: number): Promise<string[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const team = await db.query<{ id: string }>(`INSERT INTO team (name) VALUES ('bench-notify') RETURNING id`);
    const teamId = team.rows[0]!.id;
    await db.query(`INSERT INTO scenario (id, team_id, name, tags) VALUES (gen_random_uuid(), $1, 'notify', '{}')`, [
      teamId,
    ]);
    await db.query(
      `INSERT INTO scenario_version (team_id, scenario_id, version, spec, spec_hash)
       SELECT team_id, id, 1, '{}'::jsonb, md5(id::text) FROM scenario WHERE team_id = $1`,
      [teamId],
    );
    const runs = await db.query<{ id: string }>(
      `INSERT INTO run (team_id, scenario_id, scenario_version_id, profile, seed, engine_version, status, trigger)
       SELECT v.team_id, v.scenario_id, v.id, 'lb', g, '0.1.0', 'RUNNING', 'API'
       FROM scenario_version v CROSS JOIN generate_series(1, $2::int) g WHERE v.team_id = $1
       RETURNING id`,
      [teamId, count],
    );
    return runs.rows.map((row) => row.id);
  } finally {
    await db.end();
  }
}

async function measure(
  databaseUrl: string,
  runIds: readonly string[],
  mode: Mode,
  commitDelayUs: number,
): Promise<Record<string, unknown>> {
  const listener = new Client({ connectionString: databaseUrl });
  await listener.connect();
  let heard = 0;
  listener.on('notification', () => (heard += 1));
  await listener.query(`LISTEN ${runUpdatedChannel}`);
  const config: ClientConfig = {
    connectionString: databaseUrl,
    ...(commitDelayUs > 0 ? { options: `-c commit_delay=${commitDelayUs} -c commit_siblings=1` } : {}),
  };
  const clients = await Promise.all(
    runIds.map(async () => {
      const client = new Client(config);
      await client.connect();
      return client;
    }),
  );
  let commits = 0;
  const deadline = performance.now() + seconds * 1000;
  const loop = async (client: Client, runId: string): Promise<void> => {
    while (performance.now() < deadline) {
      if (mode === 'notify-in-commit') await client.query({ ...statements.inCommit, values: [runId] });
      else {
        const { rows } = await client.query<{ payload: string }>({ ...statements.deferred, values: [runId] });
        await client.query({ ...statements.notifyNow, values: [rows[0]!.payload] });
      }
      commits += 1;
    }
  };
  const started = performance.now();
  await Promise.all(clients.map((client, index) => loop(client, runIds[index]!)));
  const elapsedS = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  // Every notification of a committed change reaches the listener; wait for the last ones.
  for (const until = Date.now() + 5000; heard < commits && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await listener.end();
  return {
    case: `${mode}-c${runIds.length}-delay${commitDelayUs}us`,
    clients: runIds.length,
    commitDelayUs,
    seconds,
    commits,
    commitsPerSec: Math.round(commits / elapsedS),
    notificationsHeard: heard,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

function report(line: Record<string, unknown>): void {
  printCaseLine(line, asJson, 34);
}

runBench(main);
