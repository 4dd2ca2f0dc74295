// `mkt health` on a Container Apps region: per app, its running state, replicas ready/desired across the revisions
// that take traffic, and the revisions' health (Container Apps runs their readiness probes: healthState), in the
// same line shape as a Deployment's (health/report.ts). Replicas stand where pods stand.
import type { ContainerApp, Replica, Revision } from '@azure/arm-appcontainers'
import { MktError } from '../../errors.js'
import type { Component, Region } from '../../platform/schema.js'
import { judgeAnswer, worst, type ComponentRegionHealth, type Health, type ProbeAnswer, type ProbeResult } from '../../health/report.js'
import { probeFqdn } from './probe.js'
import type { ContainerAppsRegion } from './apps.js'
import { containerAppOf } from './client.js'
import { sortRevisions, trafficWeight } from './records.js'

export interface AppObservation {
  app: ContainerApp
  revisions: Revision[]
  replicas: Map<string, Replica[]>
  /** mkt's own probes of /health/ready through the FQDN of each revision taking traffic. */
  answers?: ProbeAnswer[]
}

/** One app's health line (pure). */
export function containerAppHealth(region: string, observed: AppObservation | undefined, observedAt: string): ComponentRegionHealth {
  const base = { region, rolloutInProgress: false, conditions: [], pods: [], probes: [], observedAt, scaling: null, replicas: { desired: 0, ready: 0, updated: 0, available: 0 } }
  if (!observed) return { ...base, health: 'Unhealthy', explanation: 'container app not found' }
  const { app } = observed
  const sorted = sortRevisions(observed.revisions)
  const serving = sorted.filter((r) => r.active && (app.configuration?.ingress ? trafficWeight(app, r, sorted) > 0 : true))
  const replicas = serving.flatMap((r) => observed.replicas.get(r.name ?? '') ?? [])
  const isReady = (replica: Replica) => (replica.containers ?? []).length > 0 && (replica.containers ?? []).every((c) => c.ready)
  const desired = serving.reduce((sum, r) => sum + (r.replicas ?? 0), 0)
  const ready = replicas.filter(isReady).length
  const pods = replicas.map((replica) => {
    const waiting = (replica.containers ?? []).find((c) => !c.ready)
    return {
      name: replica.name ?? '',
      phase: replica.runningState ?? 'Unknown',
      ready: isReady(replica),
      restarts: (replica.containers ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
      reason: waiting?.runningStateDetails || null,
    }
  })
  const probes: ProbeResult[] = serving.map((r) => {
    const health: Health = r.healthState === 'Healthy' ? 'Healthy' : r.healthState === 'Unhealthy' ? 'Unhealthy' : 'Degraded'
    const weight = app.configuration?.ingress ? `${trafficWeight(app, r, sorted)}% of traffic` : 'no ingress'
    return {
      kind: 'ready',
      target: `revision ${r.name}`,
      health,
      httpStatus: null,
      durationMs: 0,
      summary: `health probes: ${r.healthState ?? 'None'} (${r.runningState ?? 'Unknown'}, ${weight})`,
      report: null,
      error: r.provisioningError ?? null,
      explainOnly: false,
      at: observedAt,
    }
  })
  let health: Health = 'Healthy'
  let why = `${ready}/${desired} replicas ready`
  if (app.provisioningState === 'Failed' || serving.length === 0) {
    health = 'Unhealthy'
    why = serving.length === 0 ? 'no active revision takes traffic' : `provisioning failed`
  } else if (ready === 0 && desired > 0) {
    health = 'Unhealthy'
    why = `0/${desired} replicas ready${pods.find((p) => p.reason) ? `: ${pods.find((p) => p.reason)!.reason}` : ''}`
  } else if (ready < desired) {
    health = 'Degraded'
    why = `${ready}/${desired} replicas ready${pods.find((p) => p.reason) ? `: ${pods.find((p) => p.reason)!.reason}` : ''}`
  } else if (desired === 0) why = 'scaled to zero'
  probes.push(...(observed.answers ?? []).map(judgeAnswer))
  health = worst(health, ...probes.map((p) => p.health))
  const explanation = `${why} (${serving.map((r) => r.name).join(', ') || 'no revision'})${probes.some((p) => p.health !== 'Healthy') ? `; ${probes.find((p) => p.health !== 'Healthy')!.target}: ${probes.find((p) => p.health !== 'Healthy')!.summary}` : ''}`
  return {
    ...base,
    health,
    explanation,
    replicas: { desired, ready, updated: (observed.replicas.get(sorted.at(-1)?.name ?? '') ?? []).length, available: ready },
    rolloutInProgress: serving.length > 1 || app.provisioningState === 'InProgress',
    conditions: [{ type: 'Provisioned', status: app.provisioningState === 'Succeeded' ? 'True' : 'False', reason: app.provisioningState ?? null }, { type: 'Running', status: app.runningStatus === 'Running' ? 'True' : 'False', reason: app.runningStatus ?? null }],
    pods,
    probes,
  }
}

/** Reads every component's app of one region at once; the region's error when it cannot be read at all. */
export async function readContainerAppsHealth(open: () => Promise<ContainerAppsRegion>, region: Region, components: readonly Component[], timeoutMs: number): Promise<{ lines: Map<string, ComponentRegionHealth>; error?: MktError; at: string }> {
  try {
    const apps = await open()
    const at = new Date().toISOString()
    const entries = await Promise.all(
      components.map(async (component): Promise<[string, ComponentRegionHealth]> => {
        const name = containerAppOf(component)
        const read = await apps.read(name)
        if (!read) return [component.name, containerAppHealth(region.name, undefined, at)]
        const revisions = await apps.revisions(name)
        const active = revisions.filter((r) => r.active)
        const replicas = new Map(await Promise.all(active.map(async (r) => [r.name ?? '', await apps.replicas(name, r.name ?? '')] as [string, Replica[]])))
        const serving = active.filter((r) => r.fqdn && (r.trafficWeight ?? 0) > 0)
        const answers = await Promise.all(
          serving.map(async (r): Promise<ProbeAnswer> => {
            const answer = await probeFqdn(apps.connection, r.fqdn!, component.health.ready, timeoutMs)
            return { kind: 'ready', target: `https://${r.fqdn}${component.health.ready}`, ...answer, at: new Date().toISOString() }
          }),
        )
        return [component.name, containerAppHealth(region.name, { app: read.app, revisions, replicas, answers }, at)]
      }),
    )
    return { lines: new Map(entries), at }
  } catch (error) {
    const failure = error instanceof MktError ? error : new MktError('UNAVAILABLE', 69, error instanceof Error ? error.message : String(error))
    return { lines: new Map(), error: failure, at: new Date().toISOString() }
  }
}
