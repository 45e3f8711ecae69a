import { formatReviewDelta, type ReviewSkipped, type ReviewTotals, type ScenarioReview } from '../compare/review';
import { formatBytes, formatCount } from './markdown';

/** A whole review: the two kernels as written, every scenario reviewed, those skipped, and the totals. */
export interface PatchReviewDocument {
  readonly base: string;
  readonly patched: string;
  readonly scenarios: readonly ScenarioReview[];
  readonly skipped: readonly ReviewSkipped[];
  readonly total: ReviewTotals;
}

/**
 * The review as Markdown, ready to paste into a mailing-list reply: `dmasim review --md` and the
 * GraphQL `patchReview.markdown` (and the dashboard's Copy Markdown) print exactly this.
 */
export function renderReviewMarkdown(review: PatchReviewDocument): string {
  const { scenarios: reviews, skipped, total } = review;
  const out: string[] = [
    `**dmasim review**: \`${review.patched}\` against \`${review.base}\``,
    '',
    `**Verdict**: ${total.verdict}.`,
    '',
    '| scenario | base → patched | fixed | left | new exposures | new failures | decrypted memory | time |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of reviews) {
    const decrypted = r.memory.find((m) => m.key === 'memory.decryptedBytes');
    out.push(
      `| ${r.scenario} | ${r.baseVerdict} → ${r.patchedVerdict} | ${r.fixed.length} | ${r.left.length} | ${r.newExposures.length} | ${
        r.newFailures.map((f) => `${formatCount(f.count)} × ${f.class} ${f.deviceId}`).join(', ') || '–'
      } | ${formatReviewDelta('memory.decryptedBytes', decrypted?.delta ?? null)} | ${formatReviewDelta('cost.totalNs', r.time.delta)} |`,
    );
  }
  for (const r of reviews) {
    if (!r.affected || (r.left.length === 0 && r.newExposures.length === 0 && r.newFailures.length === 0)) continue;
    out.push('', `**${r.scenario}**: ${r.verdict}.`, '');
    for (const e of r.left)
      out.push(
        `- still leaks: ${e.class} ${e.severity}, ${e.deviceId}, ${e.dataClass}, ${formatBytes(e.bytesExposed)} via \`${e.path}\` (rule ${e.rule})${
          e.hunksNeeded.length > 0 ? `; removed by \`${e.hunksNeeded.join('` or `')}\`` : ''
        }`,
      );
    for (const e of r.newExposures)
      out.push(`- new leak: ${e.class} ${e.severity}, ${e.deviceId}, ${formatBytes(e.bytesExposed)} via \`${e.path}\``);
    for (const f of r.newFailures)
      out.push(
        `- new failure: ${formatCount(f.count)} × ${f.class} on ${f.deviceId}${f.kernelLogLine ? `, first log line: \`${f.kernelLogLine}\`` : ''}`,
      );
  }
  if (total.memory.length > 0)
    out.push(
      '',
      `Memory cost: ${total.memory.map((c) => `${c.key} ${formatReviewDelta(c.key, c.delta)}`).join(', ')}; modelled time ${formatReviewDelta('cost.totalNs', total.time.delta)}.`,
    );
  for (const s of skipped) out.push('', `_${s.scenario}: skipped (${s.reason})_`);
  return `${out.join('\n')}\n`;
}
