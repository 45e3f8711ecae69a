import {
  type DeviceKind,
  deviceKinds,
  type DeviceTrust,
  deviceTrusts,
  dataClasses,
  type SpecDataClass,
} from '../spec/names';

/**
 * How trace device names (dev_name(dev): a PCI address, a VMBus instance GUID, a platform device
 * name) become spec devices, and which data class each mapping carries. Both come from the user
 * (`--devices`, `--data`) with inference as the fallback; every inference is reported.
 */

/** `NAME=KIND[,trust=T][,id=ID][,mask=BITS]`: one trace device name mapped explicitly. */
export interface DeviceMapping {
  readonly traceName: string;
  readonly kind: DeviceKind;
  readonly trust?: DeviceTrust;
  readonly id?: string;
  readonly dmaMaskBits?: number;
}

/** Which DMA calls a data rule covers: a direction of a streaming mapping, or coherent allocations. */
export type DataScope = 'to-device' | 'from-device' | 'bidirectional' | 'coherent' | '*';

/** `[DEVICE][:SCOPE]=CLASS`: the data class of the bytes a device's mappings carry. */
export interface DataRule {
  /** A trace device name, a spec device id, or `*`. */
  readonly device: string;
  readonly scope: DataScope;
  readonly dataClass: SpecDataClass;
}

/**
 * Bytes no `--data` rule classifies are written as `unknown`: kept private like `sensitive` (an
 * exposure is reported, severity high), and named `unknown` in every finding so the user knows to
 * classify them. The spec header says so.
 */
export const unknownDataClass: SpecDataClass = 'unknown';

const idPattern = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const dataScopes: readonly DataScope[] = ['to-device', 'from-device', 'bidirectional', 'coherent', '*'];

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Parses `--devices` entries (several per flag, separated by `;`). */
export function parseDeviceMap(text: string): Parsed<DeviceMapping[]> {
  const out: DeviceMapping[] = [];
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      return {
        ok: false,
        error: `'${entry}': expected NAME=KIND[,trust=T][,id=ID][,mask=BITS], e.g. nvme0n1=nvme,trust=untrusted`,
      };
    const traceName = entry.slice(0, eq);
    const [kindText = '', ...options] = entry.slice(eq + 1).split(',');
    const kind = deviceKinds.find((k) => k === kindText);
    if (kind === undefined)
      return {
        ok: false,
        error: `'${entry}': unknown device kind '${kindText}'; valid kinds: ${deviceKinds.join(', ')}`,
      };
    let mapping: DeviceMapping = { traceName, kind };
    for (const option of options) {
      const [key = '', value = ''] = option.split('=');
      if (key === 'trust') {
        const trust = deviceTrusts.find((t) => t === value);
        if (trust === undefined)
          return { ok: false, error: `'${entry}': unknown trust '${value}'; valid: ${deviceTrusts.join(', ')}` };
        mapping = { ...mapping, trust };
      } else if (key === 'id') {
        if (!idPattern.test(value))
          return {
            ok: false,
            error: `'${entry}': id '${value}' must start with a letter and use letters, digits, _ . -`,
          };
        mapping = { ...mapping, id: value };
      } else if (key === 'mask') {
        const bits = Number(value);
        if (!/^\d+$/.test(value) || bits < 24 || bits > 64)
          return { ok: false, error: `'${entry}': mask '${value}' must be a bit count from 24 to 64` };
        mapping = { ...mapping, dmaMaskBits: bits };
      } else return { ok: false, error: `'${entry}': unknown option '${key}' (valid: trust, id, mask)` };
    }
    out.push(mapping);
  }
  return { ok: true, value: out };
}

/** Parses `--data` rules (several per flag, separated by `;`): `storvsc0:to-device=secret`, `*=public`. */
export function parseDataRules(text: string): Parsed<DataRule[]> {
  const out: DataRule[] = [];
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const eq = entry.lastIndexOf('=');
    const target = eq < 0 ? '' : entry.slice(0, eq);
    const dataClass = dataClasses.find((c) => c === entry.slice(eq + 1));
    if (eq < 0 || dataClass === undefined)
      return {
        ok: false,
        error: `'${entry}': expected [DEVICE][:DIRECTION]=CLASS with CLASS one of ${dataClasses.join(', ')}`,
      };
    const colon = target.lastIndexOf(':');
    const scopeText = colon < 0 ? '' : target.slice(colon + 1);
    const scopeKnown = dataScopes.find((s) => s === scopeText);
    // Device names contain colons (PCI addresses): only a known direction after the last colon is a scope.
    const device = scopeKnown === undefined ? target : target.slice(0, colon);
    const isScopeOnly = scopeKnown === undefined && dataScopes.includes(target as DataScope);
    out.push({
      device: isScopeOnly ? '*' : device || '*',
      scope: isScopeOnly ? (target as DataScope) : (scopeKnown ?? '*'),
      dataClass,
    });
  }
  return { ok: true, value: out };
}

/** The data class of a call: the last matching rule wins, so general rules go first. */
export function dataClassFor(
  rules: readonly DataRule[],
  traceName: string,
  deviceId: string,
  scope: Exclude<DataScope, '*'>,
): SpecDataClass {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    const deviceMatches = rule.device === '*' || rule.device === traceName || rule.device === deviceId;
    if (deviceMatches && (rule.scope === '*' || rule.scope === scope)) return rule.dataClass;
  }
  return unknownDataClass;
}

const pciName = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
const guidName = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A device the trace names but the user did not map: kind guessed from the name's shape. */
export function inferDevice(traceName: string): {
  readonly kind: DeviceKind;
  readonly id: string;
  readonly reason: string;
} {
  if (/nvme/i.test(traceName)) return { kind: 'nvme', id: sanitizeId(traceName), reason: 'name contains "nvme"' };
  if (pciName.test(traceName))
    return {
      kind: 'passthrough-nic',
      id: `pci${traceName.replace(/:/g, '_')}`,
      reason: 'PCI address: a generic PCI function (map it with --devices for virtio/nvme)',
    };
  if (guidName.test(traceName))
    return {
      kind: 'vmbus-storvsc',
      id: `vmbus_${traceName.slice(0, 8).toLowerCase()}`,
      reason: 'VMBus instance GUID: assumed storvsc (map netvsc with --devices)',
    };
  if (/virtio/i.test(traceName))
    return { kind: 'virtio-net', id: sanitizeId(traceName), reason: 'name contains "virtio"' };
  return { kind: 'platform', id: sanitizeId(traceName), reason: 'not a PCI address or VMBus GUID: a platform device' };
}

function sanitizeId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `d${cleaned}`.slice(0, 64);
}

/** DMA_BIT_MASK(n) → n, for swiotlb_bounced's dma_mask; null for a mask that is not 2^n - 1. */
export function maskBits(maskHex: string): number | null {
  const mask = BigInt(maskHex);
  if ((mask & (mask + 1n)) !== 0n || mask === 0n) return null;
  return mask.toString(2).length;
}
