import { randomUUID } from 'node:crypto';

// Every test file gets its own BullMQ prefix, so queues of parallel files never see each other's jobs.
// It carries its Redis Cluster hash tag, as Config.bullmqPrefix does, so tests that open BullMQ
// objects with the raw variable see the same keys as the service.
process.env['BULLMQ_PREFIX'] = `{test-${randomUUID()}}`;
