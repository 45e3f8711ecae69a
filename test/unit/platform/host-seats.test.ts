import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { type HostSeat, HostSeats, hostSeatsSocketName } from '../../../src/platform/host-seats';

// Host seats over a real abstract Unix socket: each test has its own scope, so tests and a running
// dmasim worker on the same machine never share seats.
const silent = pino({ level: 'silent' });
const repoRoot = path.join(__dirname, '..', '..', '..');
const open: HostSeats[] = [];

function seatsOf(socketName: string, capacity: number): HostSeats {
  const seats = new HostSeats({ capacity, socketName, logger: silent });
  open.push(seats);
  return seats;
}

/** Whether `acquire` is granted within `ms` (a granted seat is kept in `into`). */
async function grantedWithin(acquire: Promise<HostSeat | undefined>, ms: number, into?: HostSeat[]): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([acquire, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout' || outcome === undefined) return false;
  into?.push(outcome);
  return true;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((seats) => seats.close()));
});

describe('HostSeats', () => {
  it('grants at once as a host’s first coordinator', async () => {
    const seats = seatsOf(hostSeatsSocketName(`test-${randomUUID()}`), 1);
    // A coordinator elected after another died waits a second before its first grant (next test);
    // the first one on a host has no seats to wait for, so a worker started on a quiet host runs at once.
    expect(await grantedWithin(seats.acquire(), 700)).toBe(true);
    expect(seats.coordinating).toBe(true);
  });

  it('grants nothing in the first second of a coordinator elected after another died, so seats still held are re-announced first', async () => {
    const name = hostSeatsSocketName(`test-${randomUUID()}`);
    const first = seatsOf(name, 1);
    (await first.acquire())?.release();
    const successor = seatsOf(name, 1);
    (await successor.acquire())?.release(); // connected to the first coordinator
    await first.close(); // the coordinator goes away: the successor takes over
    for (let tries = 0; !successor.coordinating && tries < 200; tries += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(successor.coordinating).toBe(true);
    const waiting = successor.acquire();
    // A process that held a seat under the coordinator that died reconnects a little later and says so.
    const survivor = createConnection({ path: name });
    await new Promise<void>((resolve) => survivor.once('connect', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    survivor.write('held 1\n');
    // The one seat is the survivor's: the early acquire was not granted over the capacity.
    expect(await grantedWithin(waiting, 1500)).toBe(false);
    survivor.destroy(); // the survivor's process ends: its seat is free
    expect(await grantedWithin(waiting, 10_000)).toBe(true);
  });

  it('grants at most `capacity` seats across clients, the next waiter first when one is released', async () => {
    const name = hostSeatsSocketName(`test-${randomUUID()}`);
    const [a, b, c] = [seatsOf(name, 2), seatsOf(name, 2), seatsOf(name, 2)];
    const seatA = await a.acquire();
    const seatB = await b.acquire();
    expect(seatA).toBeDefined();
    expect(seatB).toBeDefined();
    const first = c.acquire();
    const second = c.acquire();
    expect(await grantedWithin(first, 200)).toBe(false); // both seats are held
    seatA?.release();
    seatA?.release(); // idempotent: frees one seat, not two
    expect(await grantedWithin(first, 10_000)).toBe(true);
    expect(await grantedWithin(second, 200)).toBe(false);
    seatB?.release();
    expect(await grantedWithin(second, 10_000)).toBe(true);
    expect([a, b, c].filter((seats) => seats.coordinating)).toHaveLength(1);
  });

  it('frees the seats of a client whose connection closes (a process that dies)', async () => {
    const name = hostSeatsSocketName(`test-${randomUUID()}`);
    const coordinator = seatsOf(name, 1);
    (await coordinator.acquire())?.release(); // the coordinator is up before the clients start
    const [a, b] = [seatsOf(name, 1), seatsOf(name, 1)];
    expect(await grantedWithin(a.acquire(), 10_000)).toBe(true);
    const waiting = b.acquire();
    expect(await grantedWithin(waiting, 200)).toBe(false);
    await a.close(); // never released: the seat is freed with a's connection
    expect(await grantedWithin(waiting, 10_000)).toBe(true);
    expect(coordinator.coordinating).toBe(true);
  });

  it('hands a seat granted to a cancelled wait back to the next waiter', async () => {
    const name = hostSeatsSocketName(`test-${randomUUID()}`);
    const [a, b, c] = [seatsOf(name, 1), seatsOf(name, 1), seatsOf(name, 1)];
    const held = await a.acquire();
    const cancelled = b.acquire();
    await new Promise((resolve) => setTimeout(resolve, 50)); // b's acquire reaches the coordinator first
    const later = c.acquire();
    b.cancelWaiting();
    expect(await cancelled).toBeUndefined();
    held?.release();
    // The seat goes to b's cancelled acquire first; b hands it back, and c gets it.
    expect(await grantedWithin(later, 10_000)).toBe(true);
  });

  it('refuses a capacity below one', () => {
    expect(() => new HostSeats({ capacity: 0, socketName: hostSeatsSocketName('x'), logger: silent })).toThrow(
      /positive integer/,
    );
  });
});

describe('HostSeats across processes', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  /** A process that becomes the coordinator of `name`, takes `holding` seats and prints "holding". */
  function startHolder(name: string, capacity: number, holding: number): Promise<ChildProcess> {
    const script = `
      const { HostSeats } = require('./src/platform/host-seats.ts');
      const seats = new HostSeats({ capacity: ${capacity}, socketName: ${JSON.stringify(name)}, logger: require('pino')({ level: 'silent' }) });
      Promise.all(Array.from({ length: ${holding} }, () => seats.acquire())).then(() => {
        process.stdout.write(seats.coordinating ? 'holding as coordinator\\n' : 'holding\\n');
      });`;
    const started = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      started.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('holding as coordinator')) resolve(started);
        else reject(new Error(`the child did not coordinate: ${chunk.toString()}`));
      });
      started.once('exit', (code) => reject(new Error(`the child exited with ${code}`)));
    });
  }

  it('frees a killed process’s seats, elects a new coordinator and keeps the seats still held counted', async () => {
    const name = hostSeatsSocketName(`test-${randomUUID()}`);
    child = await startHolder(name, 2, 1);
    const [a, b, c] = [seatsOf(name, 2), seatsOf(name, 2), seatsOf(name, 2)];
    const seats: HostSeat[] = [];
    expect(await grantedWithin(a.acquire(), 10_000, seats)).toBe(true); // the child holds the other seat
    const waitingB = b.acquire();
    expect(await grantedWithin(waitingB, 300)).toBe(false);

    child.kill('SIGKILL');
    // The child's seat is freed with its connection and its coordination: b's wait, sent again to
    // the new coordinator, is granted.
    expect(await grantedWithin(waitingB, 10_000, seats)).toBe(true);
    expect([a, b, c].filter((candidate) => candidate.coordinating)).toHaveLength(1);
    // a re-announced its seat to the new coordinator (which grants nothing until reconnecting
    // processes have had a second to do so): with a's and b's seats held, c waits.
    const waitingC = c.acquire();
    expect(await grantedWithin(waitingC, 300)).toBe(false);
    seats[0]?.release();
    expect(await grantedWithin(waitingC, 10_000)).toBe(true);
  });
});
