import { canonicalJson, diffLines, formatBytes, formatOverlays, reportToMarkdown } from '../../web/src/format';
import { parseRoute } from '../../web/src/router';
import { activeSession, addSession, loadSessions, removeSession, saveSessions } from '../../web/src/session';

// The dashboard's pure helpers: formatting, spec diffs, the Markdown report, routes and the
// session store behind the team switcher.
describe('formatBytes', () => {
  it('uses IEC units and keeps small counts exact', () => {
    expect([formatBytes('512'), formatBytes('1919856640'), formatBytes(null)]).toEqual(['512 B', '1.8 GiB', '—']);
  });
});

describe('formatOverlays', () => {
  it('names each overlay with its variant', () => {
    expect(
      formatOverlays([
        { name: 'device-cc-accepted', variant: 'dan' },
        { name: 'storvsc-bypass', variant: null },
      ]),
    ).toBe('device-cc-accepted:dan, storvsc-bypass');
    expect(formatOverlays([])).toBe('no overlays');
  });
});

describe('diffLines', () => {
  it('marks removed and added lines of a changed spec, keeping common lines', () => {
    const before = canonicalJson({ kernel: { profile: 'v7.2' }, memory: 4096 });
    const after = canonicalJson({ memory: 4096, kernel: { profile: 'v7.3' } });

    const changes = diffLines(before, after).filter((line) => line.kind !== 'same');

    expect(changes).toEqual([
      { kind: 'removed', text: '    "profile": "v7.2"' },
      { kind: 'added', text: '    "profile": "v7.3"' },
    ]);
  });
});

describe('reportToMarkdown', () => {
  it('writes the verdict, a violations table and the kernel log', () => {
    const markdown = reportToMarkdown('run-1', {
      summary: { verdict: 'exposes-secrets', operations: 10, violations: 1, failures: 0 },
      violations: [
        {
          class: 'V1',
          severity: 'critical',
          deviceId: 'storvsc0',
          bytesExposed: 4096,
          count: 1,
          rule: 'A4',
          path: 'a | b',
        },
      ],
      metrics: { 'swiotlb.hiwater': 12 },
      kernelLog: [{ op: -1, text: 'software IO TLB: area num 4.' }],
    });

    expect(markdown).toContain('- verdict: **exposes-secrets**');
    expect(markdown).toContain('| V1 | critical | storvsc0 | 4096 | 1 | A4 | a \\| b |');
    expect(markdown).toContain('| swiotlb.hiwater | 12 |');
    expect(markdown).toContain('software IO TLB: area num 4.');
  });
});

describe('parseRoute', () => {
  it.each([
    ['/', '', { page: 'overview' }],
    ['/scenarios', '', { page: 'scenarios' }],
    ['/scenarios/abc', '', { page: 'scenario', id: 'abc' }],
    ['/runs/r1', '', { page: 'run', id: 'r1' }],
    ['/batches/b1', '', { page: 'batch', id: 'b1' }],
    ['/compare', '?a=r1&b=r2', { page: 'compare', a: 'r1', b: 'r2', batch: null, runs: null }],
    ['/compare', '?batch=b1', { page: 'compare', a: null, b: null, batch: 'b1', runs: null }],
    ['/compare', '?runs=r1,r2,r3', { page: 'compare', a: null, b: null, batch: null, runs: ['r1', 'r2', 'r3'] }],
    ['/regressions', '', { page: 'regressions' }],
    ['/runs/r1/extra', '', { page: 'not-found', path: '/runs/r1/extra' }],
  ])('%s%s', (pathname, search, expected) => {
    expect(parseRoute(pathname, search)).toEqual(expected);
  });
});

describe('sessions', () => {
  const red = { token: 'dms_red', teamId: 'red', teamName: 'red team', role: 'ADMIN' };
  const blue = { token: 'dms_blue', teamId: 'blue', teamName: 'blue team', role: 'VIEWER' };

  it('keeps one session per team, the newest active, and survives a reload from storage', () => {
    const stored = addSession(addSession({ sessions: [], activeTeamId: null }, red), blue);

    saveSessions(stored, window.sessionStorage);
    const reloaded = loadSessions(window.sessionStorage);

    expect(reloaded.sessions.map((s) => s.teamId)).toEqual(['red', 'blue']);
    expect(activeSession(reloaded)?.teamName).toBe('blue team');
  });

  it('switches to a remaining team when the active one signs out', () => {
    const stored = removeSession(addSession(addSession({ sessions: [], activeTeamId: null }, red), blue), 'blue');

    expect(activeSession(stored)?.teamId).toBe('red');
  });

  it('treats a corrupt stored value as signed out', () => {
    window.sessionStorage.setItem('dmasim.sessions', '{not json');

    expect(loadSessions(window.sessionStorage).sessions).toEqual([]);
  });
});
