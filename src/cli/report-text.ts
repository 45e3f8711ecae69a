import type { EngineReport } from '../engine/index';

const number = (value: number): string => value.toLocaleString('en-US');
const bytes = (value: number): string => (value >= 2 ** 20 ? `${(value / 2 ** 20).toFixed(1)} MiB` : value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value} B`);

/** The readable rendering of a report: verdict, violations table, failures, headline metrics, kernel log excerpt. */
export function renderReportText(file: string, report: EngineReport): string {
  const m = report.metrics;
  const lines = [
    `${file}: ${report.summary.verdict.toUpperCase()} — ${report.platform}, kernel ${report.profile}${report.overlays.length ? ` + ${report.overlays.map((o) => (o.variant ? `${o.name}(${o.variant})` : o.name)).join(', ')}` : ''}, seed ${report.seed}, ${number(report.summary.operations)} ops`,
  ];
  if (report.violations.length === 0) lines.push('  violations: none');
  else {
    lines.push('  violations:');
    for (const v of report.violations) lines.push(`    ${v.class.padEnd(3)} ${v.severity.padEnd(8)} ${v.deviceId.padEnd(10)} ${bytes(v.bytesExposed).padStart(10)} ${v.dataClass.padEnd(9)} x${number(v.count).padEnd(8)} rule ${v.rule}: ${v.explanation}`);
  }
  if (report.failures.length === 0) lines.push('  failures: none');
  else {
    lines.push('  failures:');
    for (const f of report.failures) lines.push(`    ${f.class.padEnd(3)} ${f.deviceId.padEnd(10)} x${number(f.count).padEnd(8)} rule ${f.rule}: ${f.explanation}${f.kernelLogLine ? ` — "${f.kernelLogLine}"` : ''}`);
  }
  lines.push(
    `  swiotlb: ${number(Number(m['swiotlb.nslabs']))} slots in ${m['swiotlb.nareas']} areas, hiwater ${number(Number(m['swiotlb.hiwater']))}, bounced ${bytes(Number(m['swiotlb.bouncedBytesToDevice']))} to / ${bytes(Number(m['swiotlb.bouncedBytesFromDevice']))} from devices, failed maps ${number(Number(m['failedMaps']))}`,
  );
  const boot = report.kernelLog.filter((l) => l.op < 0).map((l) => l.text);
  if (boot.length) lines.push(`  boot: ${boot.join(' | ')}`);
  lines.push(`  resultHash ${report.resultHash}`);
  return `${lines.join('\n')}\n`;
}
