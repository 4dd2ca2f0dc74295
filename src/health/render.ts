// Human views of the health model: a compact table (a row per component, a column per region) whose
// symbols carry the meaning without colour, and the --details listing.
import type { Output, Style } from '../cli/output.js'
import { renderTable } from '../cli/output.js'
import type { ComponentHealth, HealthCounts, HealthModel, HealthOrUnknown } from './report.js'
import { plural } from '../text.js'

const SYMBOL: Record<HealthOrUnknown, string> = { Healthy: '✓ healthy', Degraded: '! degraded', Unhealthy: '✗ unhealthy', Unknown: '? unknown' }
const STYLE: Record<HealthOrUnknown, Style> = { Healthy: 'green', Degraded: 'yellow', Unhealthy: 'red', Unknown: 'yellow' }

/** The explanation to show for a component: its worst region's (a known problem before an unreachable region). */
function explain(component: ComponentHealth, multiRegion: boolean): string {
  // Unknown (a region unreachable, nothing known bad): a problem a region that answered shows, else the unreachable one.
  const known = component.regions.filter((r) => r.health !== 'Unknown')
  const worstRegion =
    component.health === 'Unknown' ? (known.find((r) => r.health !== 'Healthy') ?? component.regions.find((r) => r.health === 'Unknown')) : component.regions.find((r) => r.health === component.health)
  const backlog = component.backlog.find((b) => b.health !== 'Healthy')
  if (!worstRegion && backlog) return backlog.summary
  if (!worstRegion) return component.regions[0]?.explanation ?? ''
  return multiRegion && component.health !== 'Healthy' ? `${worstRegion.region}: ${worstRegion.explanation}` : worstRegion.explanation
}

export function renderHealthTable(model: HealthModel, out: Pick<Output, 'style'>): string {
  const multiRegion = model.regions.length > 1
  const table = renderTable(model.components, [
    { header: 'component', get: (c) => c.name },
    { header: 'kind', get: (c) => c.kind },
    // One region: the component's own health (backlog included). Several: a column per region.
    ...(multiRegion
      ? model.regions.map((region) => ({
          header: region.region,
          get: (c: ComponentHealth) => SYMBOL[c.regions.find((r) => r.region === region.region)?.health ?? 'Unknown'],
          style: (c: ComponentHealth) => STYLE[c.regions.find((r) => r.region === region.region)?.health ?? 'Unknown'],
        }))
      : [{ header: 'health', get: (c: ComponentHealth) => SYMBOL[c.health], style: (c: ComponentHealth) => STYLE[c.health] }]),
    { header: 'why', get: (c) => explain(c, multiRegion) },
  ], out)
  const unreachable = model.regions.filter((r) => !r.reachable).map((r) => `region ${r.region} unreachable: ${r.error}`)
  // With a region unreachable the components' roll-up is Unknown wherever it is not known bad: count per region
  // instead, so the regions that answered keep their real numbers.
  const counts = multiRegion && unreachable.length > 0 ? model.regions.map((r) => `${r.region}: ${r.reachable ? countsText(r.counts) : `unreachable, ${r.counts.Unknown} unknown`}`).join('; ') : countsText(model.counts)
  const summary = `${model.environment}: ${SYMBOL[model.health]} (${counts}) in ${(model.durationMs / 1000).toFixed(1)}s`
  return [table, ...unreachable, '', out.style(summary, STYLE[model.health])].join('\n')
}

function countsText(counts: HealthCounts): string {
  return `${counts.Healthy} healthy, ${counts.Degraded} degraded, ${counts.Unhealthy} unhealthy${counts.Unknown > 0 ? `, ${counts.Unknown} unknown` : ''}`
}

export function renderHealthDetails(model: HealthModel): string {
  const lines: string[] = []
  for (const component of model.components) {
    for (const region of component.regions) {
      lines.push(`${component.name}${model.regions.length > 1 ? ` (${region.region})` : ''}: ${region.health}: ${region.explanation}`)
      lines.push(`  replicas: ${region.replicas.ready}/${region.replicas.desired} ready, ${region.replicas.updated} updated, ${region.replicas.available} available${region.rolloutInProgress ? ', rollout in progress' : ''}`)
      if (region.scaling) lines.push(`  scaling (${region.scaling.kind} ${region.scaling.name}): ${region.scaling.health}: ${region.scaling.summary}`)
      for (const pod of region.pods) lines.push(`  pod ${pod.name}: ${pod.phase}${pod.ready ? ', ready' : ', not ready'}${pod.reason ? `, ${pod.reason}` : ''}${pod.restarts ? `, ${plural(pod.restarts, 'restart')}` : ''}`)
      for (const b of region === component.regions[0] ? component.backlog : []) lines.push(`  ${b.summary}`)
      for (const probe of region.probes) {
        lines.push(`  ${probe.kind} (${probe.target}, ${probe.durationMs} ms): ${probe.summary}`)
        for (const entry of probe.report?.entries ?? []) {
          lines.push(`    ${entry.name}: ${entry.status}${entry.duration ? ` in ${entry.duration}` : ''}${entry.description ? ` (${entry.description})` : ''}`)
        }
      }
    }
  }
  return lines.join('\n')
}
