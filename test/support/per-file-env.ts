import { randomUUID } from 'node:crypto';

// Every test file gets its own BullMQ prefix, so queues of parallel files never see each other's jobs.
// It carries its Redis Cluster hash tag, as Config.bullmqPrefix does, so tests that open BullMQ
// objects with the raw variable see the same keys as the service.
process.env['BULLMQ_PREFIX'] = `{test-${randomUUID()}}`;

// Engine threads normally lower their CPU priority (WORKER_NICE, default 10) to leave the API
// first call on a shared host. Here two test files share two cores, and an engine thread at nice 10
// would wait behind the other file's work and stretch every run's time against the tests' timeouts;
// lowerCpuPriority has its own test.
process.env['WORKER_NICE'] ??= '0';

// Worker processes of one host share execution seats (WORKER_HOST_SEATS, default: the CPUs) per
// scope. Every file gets its own scope, so the workers of parallel files never wait for each
// other's seats, and each file still runs with the default seats.
process.env['WORKER_HOST_SEATS_SCOPE'] = `test-${randomUUID()}`;
