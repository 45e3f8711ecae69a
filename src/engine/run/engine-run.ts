import type { EngineRun } from '../engine-run.types';
import { createDecisionContext, createDmaDevice } from '../profiles/index';
import type { EngineReport } from '../report/report.types';
import type { NormalizedScenario } from '../spec/normalize';
import { allocCoherent, cpuWrite, freeCoherent, runDeferred } from './coherent';
import type { LoweredOp } from './lowered-op';
import { assembleReport } from './report-assembly';
import type { RunState } from './run-state';
import { createRunState, warnsTioDisable } from './run-setup';
import { deviceWrite, map, sync, unmap } from './streaming';
import { invariant } from '../invariant';
import { releaseTlbMem } from '../swiotlb/index';

/**
 * The run loop: lowers each operation (explicit list or generated streams) and dispatches it to the
 * part of the model that handles it — streaming maps (streaming.ts), coherent allocations and pools
 * (coherent.ts), device acceptance — running deferred kernel work and sampling series as it goes.
 */

export interface EngineRunOptions {
  /** Overrides the spec's workload seed. */
  readonly seed?: number;
}

/** Starts a run of a normalised spec (the engine's one entry point; see EngineRun). */
export function createEngineRun(spec: NormalizedScenario, options: EngineRunOptions = {}): EngineRun {
  return new ScenarioRun(createRunState(spec, options.seed ?? spec.workload.seed));
}

class ScenarioRun implements EngineRun {
  /** Set by finish(): the report, returned again by a second finish(); the pools' memory is released by then. */
  private report: EngineReport | undefined;

  constructor(private readonly run: RunState) {}

  get operationsTotal(): number {
    return this.run.operationsTotal;
  }

  get operationsDone(): number {
    return this.run.operationsDone;
  }

  step(maxOperations: number): boolean {
    invariant(this.report === undefined, 'step() after finish()');
    const run = this.run;
    const end = Math.min(run.operationsTotal, run.operationsDone + maxOperations);
    const deferredEvery = run.spec.kernel.config.deferredWorkEveryOps;
    while (run.operationsDone < end) {
      const op = run.generator
        ? run.generator.isEmpty
          ? null
          : run.generator.next()
        : lowerExplicit(run.spec.workload.explicit[run.operationsDone]!);
      if (op === null) {
        run.operationsDone = run.operationsTotal;
        break;
      }
      execute(run, op, run.operationsDone);
      run.operationsDone++;
      if (run.operationsDone % run.sampleEvery === 0) sample(run);
      if (run.generator && run.operationsDone % deferredEvery === 0) runDeferred(run, run.operationsDone);
    }
    return run.operationsDone >= run.operationsTotal;
  }

  finish(): EngineReport {
    if (this.report) return this.report;
    this.report = assembleReport(this.run);
    // The run is over: its SWIOTLB pools' slot arrays go back for the next run to reuse.
    const { mem, privateMem, devices } = this.run;
    for (const held of [mem, privateMem, ...[...devices.values()].map((device) => device.restricted)])
      if (held) releaseTlbMem(held);
    return this.report;
  }
}

function execute(run: RunState, op: LoweredOp, index: number): void {
  switch (op.kind) {
    case 'map':
      return map(run, op, index);
    case 'unmap':
      return unmap(run, op.id, op.skipCpuSync, index);
    case 'device_write':
      return deviceWrite(run, op.id, op.bytes, op.data, index);
    case 'cpu_write':
      return cpuWrite(run, op.id, op.bytes, op.data, index);
    case 'sync':
      return sync(run, op.id, op.target, op.offset, op.length, index);
    case 'alloc_coherent':
      return allocCoherent(run, op, index);
    case 'free_coherent':
      return freeCoherent(run, op.id, index);
    case 'run_deferred':
      return runDeferred(run, index);
    case 'accept_device':
    case 'reject_device':
      return acceptOrReject(run, op.kind, op.device, index);
    case 'device_read':
      // Reading moves no data into host-visible memory.
      return;
  }
}

/**
 * device_cc_accept() / device_cc_reject() (docs/kernel-dma.md §9.1, §9.4): only with the device-cc-accepted
 * overlay; refused with -EBUSY while the device has live mappings or coherent buffers.
 */
function acceptOrReject(run: RunState, kind: 'accept_device' | 'reject_device', deviceId: string, index: number): void {
  const device = run.devices.get(deviceId)!;
  const fn = kind === 'accept_device' ? 'device_cc_accept' : 'device_cc_reject';
  if (!run.resolved.overlays.some((o) => o.name === 'device-cc-accepted')) {
    run.log.log(
      `${fn}:unsupported`,
      'once',
      index,
      `note: ${fn}(${deviceId}) has no effect: mainline has no device_cc_accept() (add the device-cc-accepted overlay)`,
    );
    return;
  }
  if (device.live > 0) {
    device.counters.acceptBusy++;
    run.log.log(
      `${fn}:ebusy`,
      'ratelimited',
      index,
      `note: ${fn}(${deviceId}) = -EBUSY: ${device.live} live DMA mapping(s)/buffer(s)`,
    );
    return;
  }
  device.ctx = createDecisionContext(run.profile, run.env, createDmaDevice(device.resolved, kind === 'accept_device'));
  device.tioWarn = warnsTioDisable(run, device);
  device.maxMapping = -1;
  device.decisionCache.clear();
  device.capableUpTo.default = device.capableUpTo.restricted = device.capableUpTo['private-default'] = -1;
}

function sample(run: RunState): void {
  run.series.t.push(run.operationsDone);
  run.series.values['swiotlb.used']!.push(run.mem?.used ?? 0);
  run.series.values['swiotlb.bouncedBytes']!.push(
    run.counters.bouncedBytesToDevice + run.counters.bouncedBytesFromDevice,
  );
  run.series.values['failedMaps']!.push(run.counters.failedMaps);
}

function lowerExplicit(op: NormalizedScenario['workload']['explicit'][number]): LoweredOp {
  switch (op.op) {
    case 'map':
      return {
        kind: 'map',
        id: op.id,
        device: op.device,
        sg: false,
        segments: [{ phys: Number(BigInt(op.buffer.phys)), size: op.buffer.size, data: op.buffer.data }],
        dir: op.dir,
        attrs: op.attrs,
        cpu: op.cpu,
      };
    case 'map_sg':
      return {
        kind: 'map',
        id: op.id,
        device: op.device,
        sg: true,
        segments: op.segments.map((s) => ({ phys: Number(BigInt(s.phys)), size: s.size, data: s.data })),
        dir: op.dir,
        attrs: op.attrs,
        cpu: op.cpu,
      };
    case 'unmap':
    case 'unmap_sg':
      return { kind: 'unmap', id: op.id, skipCpuSync: op.attrs?.includes('SKIP_CPU_SYNC') === true };
    case 'sync_for_device':
    case 'sync_for_cpu':
      return {
        kind: 'sync',
        id: op.id,
        target: op.op === 'sync_for_device' ? 'device' : 'cpu',
        offset: op.offset,
        length: op.length ?? null,
      };
    case 'device_write':
      return { kind: 'device_write', id: op.id, offset: op.offset, bytes: op.bytes, data: op.data };
    case 'device_read':
      return { kind: 'device_read', id: op.id, offset: op.offset, bytes: op.bytes };
    case 'cpu_write':
      return { kind: 'cpu_write', id: op.id, offset: op.offset, bytes: op.bytes, data: op.data };
    case 'alloc_coherent':
      return {
        kind: 'alloc_coherent',
        id: op.id,
        device: op.device,
        size: op.size,
        gfp: op.gfp,
        noWarn: op.attrs.includes('NO_WARN'),
      };
    case 'free_coherent':
      return { kind: 'free_coherent', id: op.id };
    case 'accept_device':
    case 'reject_device':
      return { kind: op.op, device: op.device };
    case 'run_deferred':
      return { kind: 'run_deferred' };
  }
}
