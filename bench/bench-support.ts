// What the benches share: a fresh database to measure in, the one-line-per-case output, the exit.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A fresh PostgreSQL database for one bench run, created through `adminUrl`. */
export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database (or, with `keep`, says on stderr that it was kept) and closes the admin connection. */
  close(keep: boolean): Promise<void>;
}

export async function createBenchDatabase(adminUrl: string, namePrefix = 'dmasim_bench'): Promise<BenchDatabase> {
  const name = `${namePrefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  return {
    name,
    url: Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString(),
    async close(keep) {
      if (keep) process.stderr.write(`kept database ${name}\n`);
      else await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Prints one case: a JSON line with `asJson`, else the case name padded to `nameWidth` and key=value pairs. */
export function printCaseLine(line: Record<string, unknown>, asJson: boolean, nameWidth = 26): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const { case: name, ...rest } = line;
  process.stdout.write(
    `${String(name).padEnd(nameWidth)} ${Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(' ')}\n`,
  );
}

/** Runs a bench's main and exits: 0 when it finished, 1 with the error on stderr when it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
