import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import type { Logger } from './logger';

/**
 * Execution seats shared by every worker process of one host: at most `capacity` runs execute at
 * once on the host, whatever the number of worker processes and their WORKER_CONCURRENCY. On a
 * host with fewer cores than executing runs, each extra run slows every other party (engine
 * threads, the API, PostgreSQL, Redis) more than it adds; with seats, processes beyond the host's
 * cores wait their turn and stand by as warm spares.
 *
 * The first process to start coordinates: it listens on a Linux abstract Unix socket (no file to
 * clean up; the kernel frees the name when the process dies). Every process, the coordinator
 * included, is a client of that socket. A seat is held by a client connection, so a process that
 * dies frees its seats at once. When the coordinator dies, the clients elect a new one (the first
 * to bind the name) and re-announce the seats they hold, so the count stays right; during the
 * hand-over the host may briefly run more than `capacity`.
 *
 * Wire format, one ASCII line per message. Client → coordinator: `acquire`, `release`, `held N`
 * (after a reconnect). Coordinator → client: `grant` (one per acquire, in request order).
 */

/** A granted seat; `release` is idempotent. */
export interface HostSeat {
  release(): void;
}

/** The abstract socket name of a seat scope: per user, so another user's processes cannot hold this user's seats. */
export function hostSeatsSocketName(scope: string): string {
  return `\0dmasim/host-seats/${userInfo().uid}/${scope}`;
}

/** Splits a byte stream into lines and hands each complete one to `onLine`. */
function onLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('ascii');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf('\n');
    while (end >= 0) {
      onLine(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      end = buffered.indexOf('\n');
    }
  });
}

/** What the coordinator knows of one client connection. */
interface SeatHolder {
  readonly socket: Socket;
  held: number;
}

/**
 * The coordinator: counts seats in use across the host's clients and grants waiting acquires in
 * the order they arrived.
 */
class SeatCoordinator {
  private inUse = 0;
  private readonly waiting: SeatHolder[] = [];
  private readonly holders = new Set<SeatHolder>();
  /** False for the first settleMs: acquires queue, but nothing is granted yet. */
  private settled: boolean;
  private readonly settleTimer: NodeJS.Timeout;

  constructor(
    readonly server: Server,
    private readonly capacity: number,
    settleMs: number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
    // A coordinator elected after another died learns the seats still held only as their
    // processes reconnect and re-announce them (`held N`); an acquire that came first would be
    // granted over the capacity. Reconnects retry every reconnectDelayMs, so waiting a while before
    // the first grant lets them arrive. The first coordinator of a host has nothing to wait for
    // (settleMs 0): a worker started on a quiet host takes its first run at once.
    this.settled = settleMs === 0;
    this.settleTimer = setTimeout(() => {
      this.settled = true;
      this.grantWaiting();
    }, settleMs);
    this.settleTimer.unref();
  }

  private accept(socket: Socket): void {
    const holder: SeatHolder = { socket, held: 0 };
    this.holders.add(holder);
    socket.on('error', () => undefined); // a client that died mid-write; 'close' follows
    socket.on('close', () => {
      this.holders.delete(holder);
      this.inUse -= holder.held;
      holder.held = 0;
      for (let index = this.waiting.indexOf(holder); index >= 0; index = this.waiting.indexOf(holder))
        this.waiting.splice(index, 1);
      this.grantWaiting();
    });
    onLines(socket, (line) => {
      if (line === 'acquire') {
        this.waiting.push(holder);
        this.grantWaiting();
      } else if (line === 'release') {
        if (holder.held > 0) {
          holder.held -= 1;
          this.inUse -= 1;
        }
        this.grantWaiting();
      } else if (line.startsWith('held ')) {
        const count = Number(line.slice(5));
        if (Number.isSafeInteger(count) && count > 0) {
          holder.held += count;
          this.inUse += count;
        }
      }
      // Anything else is not from a dmasim client of this version: ignored.
    });
  }

  private grantWaiting(): void {
    if (!this.settled) return;
    while (this.inUse < this.capacity && this.waiting.length > 0) {
      const holder = this.waiting.shift() as SeatHolder;
      holder.held += 1;
      this.inUse += 1;
      holder.socket.write('grant\n');
    }
  }

  close(): void {
    clearTimeout(this.settleTimer);
    this.server.close();
    for (const holder of this.holders) holder.socket.destroy();
  }
}

/** How long a client waits before trying again to reach or become the coordinator. */
const reconnectDelayMs = 20;
/** How long a coordinator elected after another died waits for held seats to be re-announced before it grants any. */
const coordinatorSettleMs = 1000;

/**
 * One process's client of the host's seats (and, when it was first, the coordinator). One instance
 * per process: the coordinator counts seats per connection.
 */
export class HostSeats {
  /** The connection to the coordinator while it is open. */
  private socket: Socket | undefined;
  /**
   * True once this process has been connected to a coordinator. A process that was never
   * connected and finds no coordinator is the host's first, and grants at once; one that lost its
   * coordinator waits for the seats still held elsewhere to be re-announced (SeatCoordinator).
   * A process started in the few milliseconds of a hand-over may win the election too, and then
   * the host briefly runs more than the capacity, as during any hand-over.
   */
  private everConnected = false;
  private coordinator: SeatCoordinator | undefined;
  private closed = false;
  /** Seats granted to this process and not released. */
  private held = 0;
  /** Callers waiting for a seat, oldest first. */
  private readonly waiters: Array<(seat: HostSeat | undefined) => void> = [];
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      /** Runs that may execute at once on the host (used when this process becomes the coordinator). */
      readonly capacity: number;
      /** The abstract socket name (hostSeatsSocketName). */
      readonly socketName: string;
      readonly logger: Logger;
    },
  ) {
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1)
      throw new RangeError(`host seat capacity must be a positive integer, got ${options.capacity}`);
    this.connect();
  }

  /** True while this process is the host's coordinator (for logs and tests). */
  get coordinating(): boolean {
    return this.coordinator !== undefined;
  }

  /** Waits for a seat; undefined when the seats were closed or `cancelWaiting` was called meanwhile. */
  acquire(): Promise<HostSeat | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.socket) this.send('acquire');
      // Not connected: every waiter is asked for once the connection is up (onConnected).
    });
  }

  /** Ends every wait in progress with undefined (a stopping worker takes no seat from then on). */
  cancelWaiting(): void {
    // The coordinator still has their acquires; their grants are handed straight back (onGrant).
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.cancelWaiting();
    this.socket?.destroy();
    this.socket = undefined;
    this.coordinator?.close();
    this.coordinator = undefined;
  }

  private send(line: string): void {
    this.socket?.write(`${line}\n`);
  }

  private onGrant(): void {
    this.held += 1;
    const resolve = this.waiters.shift();
    if (!resolve) {
      // Granted for a wait that was cancelled: give it back.
      this.releaseOne();
      return;
    }
    let released = false;
    resolve({
      release: () => {
        if (released) return;
        released = true;
        this.releaseOne();
      },
    });
  }

  private releaseOne(): void {
    this.held -= 1;
    // While disconnected the coordinator-to-be learns the remaining count from `held N`.
    this.send('release');
  }

  private onConnected(socket: Socket): void {
    this.socket = socket;
    this.everConnected = true;
    if (this.held > 0) this.send(`held ${this.held}`);
    // Every waiter is asked for again: acquires sent to a coordinator that died were lost with it.
    for (let index = 0; index < this.waiters.length; index += 1) this.send('acquire');
  }

  private connect(): void {
    if (this.closed) return;
    const socket = createConnection({ path: this.options.socketName });
    let opened = false;
    socket.on('connect', () => {
      opened = true;
      this.onConnected(socket);
    });
    onLines(socket, (line) => {
      if (line === 'grant') this.onGrant();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (opened || this.closed) return; // 'close' follows and reconnects
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') this.becomeCoordinator();
      else {
        this.options.logger.warn({ err: error }, 'host seats: cannot reach the coordinator; retrying');
        this.scheduleConnect();
      }
    });
    socket.on('close', () => {
      if (!opened || this.closed) return;
      this.socket = undefined;
      this.options.logger.info('host seats: the coordinator went away; electing a new one');
      this.scheduleConnect();
    });
  }

  private becomeCoordinator(): void {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // EADDRINUSE: another process bound the name first; connect to it.
      if (error.code !== 'EADDRINUSE')
        this.options.logger.warn({ err: error }, 'host seats: cannot coordinate; retrying');
      this.scheduleConnect();
    });
    server.listen({ path: this.options.socketName }, () => {
      if (this.closed) {
        server.close();
        return;
      }
      const settleMs = this.everConnected ? coordinatorSettleMs : 0;
      this.coordinator = new SeatCoordinator(server, this.options.capacity, settleMs);
      this.options.logger.info({ capacity: this.options.capacity }, 'host seats: this process coordinates');
      this.connect();
    });
  }

  private scheduleConnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}

/**
 * The seats a worker process uses: undefined (no host-wide limit) when `capacity` is 0, or off
 * Linux (abstract sockets are Linux's), with a warning.
 */
export function createHostSeats(options: { capacity: number; scope: string; logger: Logger }): HostSeats | undefined {
  if (options.capacity === 0) return undefined;
  if (process.platform !== 'linux') {
    options.logger.warn('WORKER_HOST_SEATS needs Linux (abstract Unix sockets); running without a host-wide limit');
    return undefined;
  }
  return new HostSeats({
    capacity: options.capacity,
    socketName: hostSeatsSocketName(options.scope),
    logger: options.logger,
  });
}
