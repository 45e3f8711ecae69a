import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's CPU priority to the nice value `nice` (never raises it: a thread
 * already nicer keeps its value, and raising needs privileges). On Linux the nice value belongs to
 * the thread, and threads it starts afterwards inherit it: an engine thread calling this lowers
 * itself only, a worker process calling it first lowers the engine threads it starts too.
 * Returns the nice value now in effect, or undefined where the system refused (the caller logs it).
 */
export function lowerCpuPriority(nice: number): number | undefined {
  try {
    const current = getPriority(0);
    if (nice > current) setPriority(0, nice);
    return getPriority(0);
  } catch {
    return undefined;
  }
}
