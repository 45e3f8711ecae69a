import { applyOverlays } from '../../../src/engine/overlays/index';
import {
  createDecisionContext,
  createDmaDevice,
  createDmaEnvironment,
  getKernelProfile,
} from '../../../src/engine/profiles/index';
import type { DecisionContext, KernelProfile, StreamingMapRequest } from '../../../src/engine/profiles/profile.types';
import { toPhysAddr } from '../../../src/engine/spec/address';
import type { DmaAttr, DmaDirection } from '../../../src/engine/spec/names';
import { resolveScenario } from '../../../src/engine/spec/normalize';
import { validateScenario } from '../../../src/engine/spec/validate';

export interface Setup {
  platform?: string;
  profile?: string;
  memoryMiB?: number;
  cmdline?: string;
  overlays?: unknown[];
  device?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Override device_cc_accepted() for the device (default: from its trust). */
  accepted?: boolean;
}

/** Builds a validated scenario with one device `dev0` and returns the decision context and the (overlaid) profile. */
export function setup(options: Setup = {}): { ctx: DecisionContext; profile: KernelProfile } {
  const spec = {
    apiVersion: 'dmasim/v1',
    name: 'decision-test',
    vm: { platform: options.platform ?? 'sev-snp', memoryMiB: options.memoryMiB ?? 16384, vcpus: 4 },
    kernel: {
      profile: options.profile ?? 'v7.2',
      overlays: options.overlays ?? [],
      cmdline: options.cmdline ?? '',
      ...(options.config ? { config: options.config } : {}),
    },
    devices: [{ id: 'dev0', kind: 'nvme', ...options.device }],
    workload: { operations: 0 },
  };
  const result = validateScenario(spec);
  if (!result.ok) throw new Error(`test spec invalid: ${JSON.stringify(result.errors)}`);
  const resolved = resolveScenario(result.spec);
  const env = createDmaEnvironment(resolved);
  const profile = applyOverlays(getKernelProfile(resolved.kernel.profileId), resolved.overlays);
  const device = resolved.devices[0]!;
  const dev = createDmaDevice(device, options.accepted ?? device.trust !== 'untrusted');
  return { ctx: createDecisionContext(profile, env, dev), profile };
}

export function mapRequest(
  phys: string,
  sizeBytes = 4096,
  attrs: DmaAttr[] = [],
  dir: DmaDirection = 'to-device',
): StreamingMapRequest {
  return { phys: toPhysAddr(phys), sizeBytes, dir, attrs };
}

/** Shorthand: decide one streaming map. */
export function decideMap(options: Setup, phys = '0x100000000', sizeBytes = 4096, attrs: DmaAttr[] = []) {
  const { ctx, profile } = setup(options);
  return profile.decideStreamingMap(ctx, mapRequest(phys, sizeBytes, attrs));
}
