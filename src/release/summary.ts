// The Markdown job summary of a release (GitHub's $GITHUB_STEP_SUMMARY, Azure Pipelines' uploaded summary):
// what ran, each step's outcome and time, and every component's from → to. Built from the record only.
import { formatDuration } from '../duration.js'
import type { ReleaseRecord } from './record.js'

const ICON: Record<string, string> = { succeeded: '✅', 'rolled-back': '↩️', 'rollback-failed': '🚨', failed: '❌', interrupted: '⏹️', running: '⏳' }
const cell = (text: string | number | null) => String(text ?? '-').replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function releaseSummaryMarkdown(record: ReleaseRecord): string {
  const lines = [
    `### ${ICON[record.status] ?? ''} mkt release ${cell(record.name)} ${cell(record.version)} → ${cell(record.environment)}: ${record.status}`,
    '',
    `Release \`${record.id}\` by ${cell(record.startedBy)}${record.reason ? ` — ${cell(record.reason)}` : ''}${record.gitSha ? ` — commit \`${record.gitSha.slice(0, 12)}\`` : ''}${record.attempts > 1 ? ` — attempt ${record.attempts}` : ''}`,
  ]
  if (record.failure) lines.push('', `> ${cell(record.failure)}`)
  lines.push('', '| step | status | time | detail |', '|---|---|---|---|')
  for (const step of record.steps) lines.push(`| ${step.name} | ${step.status} | ${step.durationMs === null ? '-' : formatDuration(Math.round(step.durationMs / 1000) * 1000)} | ${cell(step.detail)} |`)
  if (record.migrations) {
    const applied = record.migrations.applied
    lines.push('', `Migrations (${record.migrations.runner}, forward-only): ${applied.length === 0 ? 'none applied' : applied.map((a) => `V${String(a.version).padStart(3, '0')} ${cell(a.name)}`).join(', ')}`)
  }
  if (record.items.length > 0) {
    lines.push('', '| wave | region | component | from | to | changes | outcome |', '|---|---|---|---|---|---|---|')
    for (const i of record.items) lines.push(`| ${i.wave} | ${cell(i.region)} | ${cell(i.component)} | ${cell(i.from)} | ${cell(i.to)} | ${i.changes.join(', ')} | ${cell(i.outcome)} |`)
  }
  lines.push('', `\`mkt release status ${record.id} --env ${record.environment}\` shows the record; \`mkt release rollback ${record.id} --env ${record.environment}\` returns every component to what ran before it.`)
  return lines.join('\n')
}
