import { validateScenario } from '../../../src/engine/spec/validate';
import { baseSpec, explicitSpec, mapOp, type SpecObject } from './spec-builders';

/** Returns the errors of a spec changed by `patch` (the base spec is valid). */
function errorsOf(patch: (spec: SpecObject) => void): Array<{ path: string; message: string }> {
  const spec = baseSpec();
  patch(spec);
  const result = validateScenario(spec);
  return result.ok ? [] : [...result.errors];
}

describe('validateScenario', () => {
  it('accepts the base spec and normalises it', () => {
    const result = validateScenario(baseSpec());
    expect(result.ok).toBe(true);
  });

  // docs/engine-contract.md §2 "Rules the validator must enforce", each with its exact path.
  const cases: Array<[string, (spec: SpecObject) => void, string, RegExp]> = [
    [
      'unknown top-level key',
      (s) => {
        s['extra'] = 1;
      },
      'extra',
      /unknown key 'extra'/,
    ],
    [
      'unknown device key',
      (s) => {
        s.devices[0]!['dmaMask'] = 32;
      },
      'devices[0].dmaMask',
      /unknown key/,
    ],
    [
      'unknown platform',
      (s) => {
        s.vm['platform'] = 'sgx';
      },
      'vm.platform',
      /expected one of/,
    ],
    [
      'memory below 256 MiB',
      (s) => {
        s.vm['memoryMiB'] = 128;
      },
      'vm.memoryMiB',
      /./,
    ],
    [
      'memory above 16 TiB',
      (s) => {
        s.vm['memoryMiB'] = 16 * 1024 * 1024 + 1;
      },
      'vm.memoryMiB',
      /./,
    ],
    [
      'zero vcpus',
      (s) => {
        s.vm['vcpus'] = 0;
      },
      'vm.vcpus',
      /./,
    ],
    [
      'unknown kernel profile',
      (s) => {
        s.kernel['profile'] = 'v2.4';
      },
      'kernel.profile',
      /older than v6.6/,
    ],
    [
      'non-existent release v6.20',
      (s) => {
        s.kernel['profile'] = 'v6.20';
      },
      'kernel.profile',
      /v6.19 was followed by v7.0/,
    ],
    [
      'garbage kernel name',
      (s) => {
        s.kernel['profile'] = 'latest';
      },
      'kernel.profile',
      /unknown kernel/,
    ],
    [
      'unknown overlay',
      (s) => {
        s.kernel['overlays'] = ['swiotlb-off'];
      },
      'kernel.overlays[0]',
      /./,
    ],
    [
      'unknown overlay variant',
      (s) => {
        s.kernel['overlays'] = [{ name: 'device-cc-accepted', variant: 'robin' }];
      },
      'kernel.overlays[0].variant',
      /aneesh, alexey, dan/,
    ],
    [
      'variant on an overlay without variants',
      (s) => {
        s.kernel['overlays'] = [{ name: 'storvsc-bypass', variant: 'x' }];
      },
      'kernel.overlays[0].variant',
      /takes no variant/,
    ],
    [
      'overlay listed twice',
      (s) => {
        s.kernel['overlays'] = ['dual-swiotlb-pools', 'dual-swiotlb-pools'];
      },
      'kernel.overlays[1]',
      /twice/,
    ],
    [
      'swiotlb= beyond the modelled cap',
      (s) => {
        s.kernel['cmdline'] = 'swiotlb=16777216';
      },
      'kernel.cmdline',
      /at most/,
    ],
    [
      'bad coherent_pool=',
      (s) => {
        s.kernel['cmdline'] = 'coherent_pool=2X';
      },
      'kernel.cmdline',
      /coherent_pool/,
    ],
    [
      'reserved memory not below RAM',
      (s) => {
        s.vm['reservedMiB'] = 16384;
      },
      'vm.reservedMiB',
      /less than/,
    ],
    [
      'C-bit on a TDX guest',
      (s) => {
        s.vm['platform'] = 'tdx';
        s.vm['cBit'] = 51;
      },
      'vm.cBit',
      /only on sev/,
    ],
    [
      'C-bit below the top of RAM',
      (s) => {
        s.vm['cBit'] = 32;
      },
      'vm.cBit',
      /above the C-bit/,
    ],
    [
      'IPA width on a non-CCA platform',
      (s) => {
        s.vm['ipaBits'] = 48;
      },
      'vm.ipaBits',
      /only to cca-realm/,
    ],
    [
      'duplicate device id',
      (s) => {
        s.devices.push({ id: 'nvme0', kind: 'virtio-blk' });
      },
      'devices[1].id',
      /duplicate/,
    ],
    [
      'min-align mask not 2^n-1',
      (s) => {
        s.devices[0]!['minAlignMask'] = '0x1000';
      },
      'devices[0].minAlignMask',
      /2\^n - 1/,
    ],
    [
      'min-align mask too large (swiotlb_max_mapping_size would be 0)',
      (s) => {
        s.devices[0]!['minAlignMask'] = '0x3ffff';
      },
      'devices[0].minAlignMask',
      /at most 0x1ffff/,
    ],
    [
      'segment boundary not 2^n-1',
      (s) => {
        s.devices[0]!['segBoundaryMask'] = '0xfffff000';
      },
      'devices[0].segBoundaryMask',
      /2\^n - 1/,
    ],
    [
      'segment boundary below a page',
      (s) => {
        s.devices[0]!['segBoundaryMask'] = '0x7ff';
      },
      'devices[0].segBoundaryMask',
      /0xfff/,
    ],
    [
      'mask as a malformed hex string',
      (s) => {
        s.devices[0]!['minAlignMask'] = 'fff';
      },
      'devices[0].minAlignMask',
      /./,
    ],
    [
      'non-coherent device on x86',
      (s) => {
        s.devices[0]!['coherent'] = false;
      },
      'devices[0].coherent',
      /cache-coherent/,
    ],
    [
      'confidential-vmbus on a PCI device',
      (s) => {
        s.vm['platform'] = 'hyperv-snp-paravisor';
        s.devices[0]!['trust'] = 'confidential-vmbus';
      },
      'devices[0].trust',
      /VMBus devices/,
    ],
    [
      'confidential-vmbus without a paravisor',
      (s) => {
        s.devices[0] = { id: 'nvme0', kind: 'vmbus-storvsc', trust: 'confidential-vmbus' };
      },
      'devices[0].trust',
      /needs a paravisor/,
    ],
    [
      'tdisp-accepted on a VMBus device',
      (s) => {
        s.vm['platform'] = 'hyperv-snp-paravisor';
        s.devices[0] = { id: 'nvme0', kind: 'vmbus-netvsc', trust: 'tdisp-accepted' };
      },
      'devices[0].trust',
      /PCI/,
    ],
    [
      'accessPlatform false on a non-virtio device',
      (s) => {
        s.devices[0]!['accessPlatform'] = false;
      },
      'devices[0].accessPlatform',
      /only virtio/,
    ],
    [
      'DMA mask below ZONE_DMA on arm64',
      (s) => {
        s.vm['platform'] = 'cca-realm';
        s.devices[0]!['dmaMaskBits'] = 30;
      },
      'devices[0].dmaMaskBits',
      /ZONE_DMA/,
    ],
    [
      'stream on an unknown device',
      (s) => {
        (s.workload['streams'] as Array<Record<string, unknown>>)[0]!['device'] = 'nvme9';
      },
      'workload.streams[0].device',
      /no device/,
    ],
    [
      'choice weights of the wrong length',
      (s) => {
        (s.workload['streams'] as Array<Record<string, unknown>>)[0]!['sizes'] = {
          dist: 'choice',
          values: [4096, 8192],
          weights: [1],
        };
      },
      'workload.streams[0].sizes.weights',
      /one weight per value/,
    ],
    [
      'uniform min above max',
      (s) => {
        (s.workload['streams'] as Array<Record<string, unknown>>)[0]!['sizes'] = {
          dist: 'uniform',
          min: 8192,
          max: 4096,
        };
      },
      'workload.streams[0].sizes.min',
      /must not exceed/,
    ],
    [
      'size 0',
      (s) => {
        (s.workload['streams'] as Array<Record<string, unknown>>)[0]!['sizes'] = { dist: 'fixed', value: 0 };
      },
      'workload.streams[0].sizes.value',
      /at least 1/,
    ],
    [
      'maxOperations above the 100,000,000 cap',
      (s) => {
        s['limits'] = { maxOperations: 100_000_001 };
      },
      'limits.maxOperations',
      /./,
    ],
    [
      'operations above maxOperations',
      (s) => {
        s.workload['operations'] = 2000;
        s['limits'] = { maxOperations: 1000 };
      },
      'workload.operations',
      /exceed limits.maxOperations/,
    ],
    [
      'nothing to run',
      (s) => {
        s.workload = { operations: 10 };
      },
      'workload',
      /nothing to run/,
    ],
  ];
  it.each(cases)('rejects %s at the exact path', (_name, patch, path, message) => {
    const errors = errorsOf(patch);
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.find((e) => e.path === path)?.message).toMatch(message);
  });

  describe('explicit op lists (docs/engine-contract.md §2.1)', () => {
    const explicitErrors = (ops: Array<Record<string, unknown>>, patch?: (spec: SpecObject) => void) => {
      const result = validateScenario(explicitSpec(ops, patch));
      return result.ok ? [] : [...result.errors];
    };

    it('accepts a list where every id is defined before use and sets operations to its length', () => {
      const result = validateScenario(
        explicitSpec([
          mapOp('m1'),
          { op: 'device_read', id: 'm1', bytes: 4096 },
          { op: 'unmap', id: 'm1' },
          { op: 'run_deferred' },
        ]),
      );
      expect(result.ok && result.spec.workload.operations).toBe(4);
    });

    const none = (): void => undefined;
    const explicitCases: Array<[string, Array<Record<string, unknown>>, string, RegExp, (spec: SpecObject) => void]> = [
      [
        'an id used before it is defined',
        [{ op: 'unmap', id: 'm1' }],
        'workload.explicit[0].id',
        /unknown id 'm1'/,
        none,
      ],
      [
        'an id used after unmap',
        [mapOp('m1'), { op: 'unmap', id: 'm1' }, { op: 'device_read', id: 'm1', bytes: 16 }],
        'workload.explicit[2].id',
        /unknown id/,
        none,
      ],
      [
        'an id redefined while live',
        [mapOp('m1'), mapOp('m1', { buffer: { size: 4096, phys: '0x100002000', data: 'public' } })],
        'workload.explicit[1].id',
        /still live/,
        none,
      ],
      [
        'unmap of a coherent region',
        [
          { op: 'alloc_coherent', id: 'r1', device: 'nvme0', size: 4096 },
          { op: 'unmap', id: 'r1' },
        ],
        'workload.explicit[1].id',
        /coherent region/,
        none,
      ],
      ['an unknown device', [mapOp('m1', { device: 'nic9' })], 'workload.explicit[0].device', /no device/, none],
      ['an unknown op', [{ op: 'map_page' }], 'workload.explicit[0].op', /./, none],
      ['an unknown key in an op', [mapOp('m1', { flags: 1 })], 'workload.explicit[0].flags', /unknown key/, none],
      ['a CPU that does not exist', [mapOp('m1', { cpu: 16 })], 'workload.explicit[0].cpu', /vm.vcpus is 16/, none],
      [
        'CC_SHARED before v7.1',
        [mapOp('m1', { attrs: ['CC_SHARED'] })],
        'workload.explicit[0].attrs[0]',
        /from v7.1/,
        (s) => {
          s.kernel['profile'] = 'v6.18';
        },
      ],
      [
        'MMIO before v6.18',
        [mapOp('m1', { attrs: ['SKIP_CPU_SYNC', 'MMIO'] })],
        'workload.explicit[0].attrs[1]',
        /from v6.18/,
        (s) => {
          s.kernel['profile'] = 'v6.12';
        },
      ],
      [
        'a buffer outside guest RAM (x86 hole 2–4 GiB)',
        [mapOp('m1', { buffer: { size: 4096, phys: '0xc0000000', data: 'secret' } })],
        'workload.explicit[0].buffer.phys',
        /not inside guest RAM/,
        none,
      ],
      [
        'a segment outside guest RAM',
        [
          {
            op: 'map_sg',
            id: 's1',
            device: 'nvme0',
            dir: 'from-device',
            segments: [
              { size: 4096, phys: '0x1000', data: 'public' },
              { size: 4096, phys: '0x900000000', data: 'public' },
            ],
          },
        ],
        'workload.explicit[0].segments[1].phys',
        /not inside guest RAM/,
        none,
      ],
      [
        'a device write past the end of the mapping',
        [mapOp('m1'), { op: 'device_write', id: 'm1', offset: 4000, bytes: 200, data: 'secret' }],
        'workload.explicit[1].bytes',
        /runs past the end/,
        none,
      ],
      [
        'a sync past the end of the mapping',
        [mapOp('m1'), { op: 'sync_for_cpu', id: 'm1', offset: 100, length: 4096 }],
        'workload.explicit[1].length',
        /runs past the end/,
        none,
      ],
      [
        'accept_device without the overlay',
        [{ op: 'accept_device', device: 'nvme0' }],
        'workload.explicit[0].op',
        /device-cc-accepted overlay/,
        none,
      ],
      [
        'explicit ops together with streams',
        [mapOp('m1')],
        'workload.streams',
        /must be empty/,
        (s) => {
          s.workload['streams'] = baseSpec().workload['streams'];
        },
      ],
      [
        'more explicit ops than maxOperations',
        [mapOp('m1'), { op: 'unmap', id: 'm1' }],
        'workload.explicit',
        /exceed limits.maxOperations/,
        (s) => {
          s['limits'] = { maxOperations: 1 };
        },
      ],
    ];
    it.each(explicitCases)('rejects %s', (_name, ops, path, message, patch) => {
      const errors = explicitErrors(ops, patch);
      expect(errors.map((e) => e.path)).toContain(path);
      expect(errors.find((e) => e.path === path)?.message).toMatch(message);
    });

    it('accepts accept_device with the device-cc-accepted overlay', () => {
      expect(
        explicitErrors([{ op: 'accept_device', device: 'nvme0' }], (s) => {
          s.kernel['overlays'] = ['device-cc-accepted'];
        }),
      ).toEqual([]);
    });

    it('accepts an MMIO map outside RAM (P2P BAR) on v6.18+', () => {
      expect(
        explicitErrors([mapOp('m1', { attrs: ['MMIO'], buffer: { size: 4096, phys: '0xfe000000', data: 'public' } })]),
      ).toEqual([]);
    });
  });

  it('reports every problem, not just the first', () => {
    const errors = errorsOf((s) => {
      s.kernel['profile'] = 'v9.9';
      s.devices[0]!['minAlignMask'] = 3000;
      s.devices[0]!['segBoundaryMask'] = 12;
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'devices[0].minAlignMask',
      'devices[0].segBoundaryMask',
      'kernel.profile',
    ]);
  });

  it('never throws on arbitrary input', () => {
    for (const input of [null, 42, 'spec', [], {}, { apiVersion: 'dmasim/v2' }]) {
      const result = validateScenario(input);
      expect(result.ok).toBe(false);
    }
  });
});
