import { cloneDatabase, dropDatabase, randomDatabaseName } from './test-database';

// Every integration test file gets its own database, cloned from the run's migrated one (global-setup).
// Workers started by a file run a reconciler over every in-flight run of their database: on a shared
// database one file's reconciler would enqueue another file's runs into its own BullMQ prefix (their
// jobs live under the other file's prefix, so it sees them as lost) and execute them — the cause of
// the timeouts that appeared only when files ran in parallel on a loaded machine.
const template = process.env['DMASIM_TEST_DATABASE_NAME'];
let own: string | undefined;

beforeAll(async () => {
  if (!template) return;
  own = randomDatabaseName(template);
  process.env['DATABASE_URL'] = await cloneDatabase(template, own);
}, 120_000);

afterAll(async () => {
  if (own && process.env['KEEP_TEST_DATABASE'] !== '1') await dropDatabase(own);
}, 60_000);
