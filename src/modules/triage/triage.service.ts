import type { Clock } from '../../platform/clock';
import { notFound } from '../../platform/app-error';
import type { Triage, TriageState } from '../result/result.types';
import { requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { TriageRepository } from './triage.repository';

export type TriageResult = Triage | { userErrors: UserInputError[] };

/** Acknowledge, waive and reopen violation fingerprints for the caller's team. */
export class TriageService {
  constructor(
    private readonly triage: TriageRepository,
    private readonly clock: Clock,
  ) {}

  acknowledge(viewer: Viewer, fingerprint: string): Promise<TriageResult> {
    return this.decide(viewer, fingerprint, 'ACKNOWLEDGED', { reason: null, owner: null, expiresAt: null });
  }

  reopen(viewer: Viewer, fingerprint: string): Promise<TriageResult> {
    return this.decide(viewer, fingerprint, 'OPEN', { reason: null, owner: null, expiresAt: null });
  }

  async waive(
    viewer: Viewer,
    input: { fingerprint: string; reason: string; owner?: string | null; expiresAt?: Date | null },
  ): Promise<TriageResult> {
    const reason = input.reason.trim();
    const userErrors: UserInputError[] = [];
    if (reason.length < 3 || reason.length > 2000)
      userErrors.push({
        path: ['input', 'reason'],
        message: 'a waiver needs a reason of 3-2000 characters',
        code: 'INVALID_REASON',
      });
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime())
      userErrors.push({ path: ['input', 'expiresAt'], message: 'must be in the future', code: 'INVALID_EXPIRY' });
    if (userErrors.length > 0) return { userErrors };
    return this.decide(viewer, input.fingerprint, 'WAIVED', {
      reason,
      owner: input.owner ?? null,
      expiresAt: input.expiresAt ?? null,
    });
  }

  private async decide(
    viewer: Viewer,
    fingerprint: string,
    state: TriageState,
    detail: { reason: string | null; owner: string | null; expiresAt: Date | null },
  ): Promise<TriageResult> {
    requireRole(viewer, 'member');
    // Triage applies to findings the team has; another team's fingerprint looks like an unknown one.
    if (!(await this.triage.fingerprintSeen(viewer.teamId, fingerprint)))
      throw notFound('violation fingerprint', fingerprint);
    return this.triage.upsert({
      teamId: viewer.teamId,
      fingerprint,
      state,
      ...detail,
      tokenId: viewer.tokenId,
      now: this.clock.now(),
    });
  }
}
