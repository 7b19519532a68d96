/**
 * The terminal chart of `keywarden api-keys usage`: one line per bucket with a bar of valid uses
 * (`█`) and failed uses (`░`) scaled to the busiest bucket, and the counts. Plain text, no colors.
 * @module
 */
import type { UsageReport } from '../records/usage-report.js';

/**
 * Renders `report` as a bar chart `width` characters wide (the bars).
 *
 * @example
 * ```ts
 * console.log(usageChart(await km.apiKeys.usage(id, { granularity: 'day' })));
 * // 2026-03-01       ████████████░░       120 valid      14 failed
 * ```
 * @throws never
 */
export function usageChart(report: UsageReport, width = 40): string {
  const max = Math.max(1, ...report.buckets.map((b) => b.valid + b.failed));
  const label = (start: number): string => {
    const iso = new Date(start).toISOString();
    return report.granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  };
  const lines = report.buckets.map((b) => {
    const total = b.valid + b.failed;
    const cells = total === 0 ? 0 : Math.max(1, Math.round((total / max) * width));
    const failedCells = b.failed === 0 ? 0 : Math.max(1, Math.round((b.failed / total) * cells));
    const bar = '█'.repeat(cells - failedCells) + '░'.repeat(failedCells);
    return `${label(b.start)}  ${bar.padEnd(width)}  ${String(b.valid).padStart(8)} valid ${String(b.failed).padStart(8)} failed`;
  });
  const unit = report.granularity === 'day' ? 'UTC day' : 'UTC hour';
  lines.push(
    `total: ${report.total.valid} valid, ${report.total.failed} failed (per ${unit}; █ valid, ░ failed)`,
  );
  return lines.join('\n');
}
