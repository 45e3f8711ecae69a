import { randomUUID } from 'node:crypto';

// Every test file gets its own BullMQ prefix, so queues of parallel files never see each other's jobs.
process.env['BULLMQ_PREFIX'] = `test-${randomUUID()}`;
