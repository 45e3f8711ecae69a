import type { TeamRepository } from '../../../src/modules/team/team.repository';
import { TeamService } from '../../../src/modules/team/team.service';
import { mintToken } from '../../../src/modules/team/token-secret';

// Authentication records a token's use at most once a minute, and decides that from the credential
// row it has already read: a request within the minute makes no second round trip.
describe('TeamService.authenticate', () => {
  const minted = mintToken();
  const start = new Date('2026-12-04T12:00:00Z');

  function serviceAt(lastUsedAt: Date | null, now: { value: Date }) {
    const touches: Date[] = [];
    const reads: string[] = [];
    let revokedAt: Date | null = null;
    const repository = {
      findCredentialByPrefix: (prefix: string) => {
        reads.push(prefix);
        return Promise.resolve(
          prefix === minted.prefix
            ? {
                id: 'token-1',
                teamId: 'team-1',
                name: 'first admin token',
                role: 'admin' as const,
                prefix,
                createdAt: start,
                lastUsedAt,
                revokedAt,
                salt: new Uint8Array(minted.salt),
                secretHash: new Uint8Array(minted.secretHash),
              }
            : undefined,
        );
      },
      touchToken: (_id: string, at: Date) => {
        touches.push(at);
        return Promise.resolve();
      },
      revokeToken: () => {
        revokedAt = now.value;
        return Promise.resolve({ id: 'token-1', teamId: 'team-1', prefix: minted.prefix, revokedAt });
      },
    } as unknown as TeamRepository;
    return { service: new TeamService(repository, { now: () => now.value }), touches, reads };
  }
  const admin = { teamId: 'team-1', tokenId: 'token-1', role: 'admin' as const };

  it('records the first use of a token', async () => {
    const { service, touches } = serviceAt(null, { value: start });
    const viewer = await service.authenticate(`Bearer ${minted.bearer}`);
    expect(viewer).toEqual({ teamId: 'team-1', tokenId: 'token-1', role: 'admin' });
    expect(touches).toEqual([start]);
  });

  it('skips the write within a minute of the recorded use and writes again after it', async () => {
    const within = { value: new Date(start.getTime() + 59_999) };
    const after = { value: new Date(start.getTime() + 60_000) };
    const early = serviceAt(start, within);
    const late = serviceAt(start, after);

    await early.service.authenticate(`Bearer ${minted.bearer}`);
    await late.service.authenticate(`Bearer ${minted.bearer}`);

    expect(early.touches).toEqual([]);
    expect(late.touches).toEqual([after.value]);
  });

  it('rejects an unknown secret without recording use', async () => {
    const { service, touches } = serviceAt(null, { value: start });
    await expect(service.authenticate(`Bearer dms_${minted.prefix}_${'A'.repeat(43)}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(touches).toEqual([]);
  });

  it('reuses the credential row for 10 s, then reads it again', async () => {
    const now = { value: start };
    const { service, reads, touches } = serviceAt(null, now);
    await service.authenticate(`Bearer ${minted.bearer}`);
    now.value = new Date(start.getTime() + 9_999);
    await service.authenticate(`Bearer ${minted.bearer}`);
    expect(reads).toHaveLength(1);
    // The cached row carries the use just recorded: no second write within the minute.
    expect(touches).toEqual([start]);
    now.value = new Date(start.getTime() + 10_000);
    await service.authenticate(`Bearer ${minted.bearer}`);
    expect(reads).toHaveLength(2);
  });

  it('still checks the secret against a cached row', async () => {
    const { service } = serviceAt(null, { value: start });
    await service.authenticate(`Bearer ${minted.bearer}`);
    await expect(service.authenticate(`Bearer dms_${minted.prefix}_${'A'.repeat(43)}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'unknown token',
    });
  });

  it('rejects a token at once after revoking it, though its row was cached', async () => {
    const { service, reads } = serviceAt(null, { value: start });
    await service.authenticate(`Bearer ${minted.bearer}`);
    await service.revokeToken(admin, 'token-1');
    await expect(service.authenticate(`Bearer ${minted.bearer}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token revoked',
    });
    expect(reads).toHaveLength(2);
  });

  it('reads the row again after another process announced the revocation (forgetCredential)', async () => {
    const { service, reads } = serviceAt(null, { value: start });
    await service.authenticate(`Bearer ${minted.bearer}`);
    service.forgetCredential(minted.prefix);
    await service.authenticate(`Bearer ${minted.bearer}`);
    service.forgetAllCredentials();
    await service.authenticate(`Bearer ${minted.bearer}`);
    expect(reads).toHaveLength(3);
  });

  it('does not cache a row whose read overlapped a revocation announcement', async () => {
    const reads: Array<() => void> = [];
    let readCount = 0;
    const row = {
      id: 'token-1',
      teamId: 'team-1',
      name: 'ci',
      role: 'member' as const,
      prefix: minted.prefix,
      createdAt: start,
      lastUsedAt: start,
      revokedAt: null,
      salt: new Uint8Array(minted.salt),
      secretHash: new Uint8Array(minted.secretHash),
    };
    const repository = {
      findCredentialByPrefix: () =>
        new Promise((resolve) => {
          readCount++;
          reads.push(() => resolve(row));
        }),
      touchToken: () => Promise.resolve(),
    } as unknown as TeamRepository;
    const service = new TeamService(repository, { now: () => start });

    const first = service.authenticate(`Bearer ${minted.bearer}`);
    // The revocation is announced while the first read is in flight: that row may predate it.
    service.forgetCredential(minted.prefix);
    reads.shift()!();
    await expect(first).resolves.toMatchObject({ tokenId: 'token-1' });
    const second = service.authenticate(`Bearer ${minted.bearer}`);
    await Promise.resolve();
    expect(readCount).toBe(2);
    reads.shift()!();
    await second;
  });
});
