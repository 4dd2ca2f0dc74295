// Worker backlog for `mkt health`: active and dead-letter counts of the queues (or subscriptions) each
// consumer reads, from the Service Bus administration client's runtime properties, judged against the
// thresholds in mkt.yaml. A namespace that cannot be read degrades, it does not fail: health must still answer.
import type { ServiceBusAdministrationClient } from '@azure/service-bus'
import type { Component, Platform } from '../platform/schema.js'
import { withTimeout } from '../pool.js'
import type { Health } from './report.js'

export interface BacklogResult {
  entity: string
  active: number | null
  deadLetter: number | null
  health: Health
  summary: string
  /** When the counts were read (ISO 8601). */
  at: string
}

/** What a component consumes: `consumes:` in mkt.yaml, else (workers) the queue named after it. */
export function consumedEntities(component: Component): string[] {
  return component.consumes ?? (component.kind === 'worker' ? [component.name] : [])
}

/** Pure: the counts of one entity against the thresholds. */
export function judgeBacklog(entity: string, counts: { active: number; deadLetter: number }, thresholds: { active: number; deadLetter: number }, at: string): BacklogResult {
  const problems: string[] = []
  if (counts.active > thresholds.active) problems.push(`${counts.active} messages waiting (over ${thresholds.active})`)
  if (counts.deadLetter > thresholds.deadLetter) problems.push(`${counts.deadLetter} dead-lettered (over ${thresholds.deadLetter})`)
  return {
    entity,
    ...counts,
    health: problems.length > 0 ? 'Degraded' : 'Healthy',
    summary: problems.length > 0 ? `backlog ${entity}: ${problems.join(', ')}` : `backlog ${entity}: ${counts.active} waiting, ${counts.deadLetter} dead-lettered`,
    at,
  }
}

export async function readBacklog(client: ServiceBusAdministrationClient, platform: Platform, component: Component, timeoutMs: number): Promise<BacklogResult[]> {
  const thresholds = { ...platform.defaults.backlog, ...component.backlog }
  return Promise.all(
    consumedEntities(component).map(async (entity): Promise<BacklogResult> => {
      try {
        const parts = entity.split('/')
        const read =
          parts.length >= 2
            ? client.getSubscriptionRuntimeProperties(parts.slice(0, -1).join('/'), parts.at(-1)!).then((r) => ({ active: r.activeMessageCount, deadLetter: r.deadLetterMessageCount }))
            : client.getQueueRuntimeProperties(entity).then((r) => ({ active: r.activeMessageCount, deadLetter: r.deadLetterMessageCount }))
        const counts = await withTimeout(read, timeoutMs, `runtime properties of ${entity}`)
        return judgeBacklog(entity, counts, thresholds, new Date().toISOString())
      } catch (error) {
        const e = error as { code?: string; message?: string }
        // A queue that does not exist is topology drift (`mkt topics plan` reports it), not load: say so, stay healthy.
        if (e.code === 'MessageEntityNotFoundError') return { entity, active: null, deadLetter: null, health: 'Healthy', summary: `backlog ${entity}: not provisioned (mkt topics plan)`, at: new Date().toISOString() }
        return { entity, active: null, deadLetter: null, health: 'Degraded', summary: `backlog ${entity}: ${(e.message ?? String(error)).split('\n')[0]}`, at: new Date().toISOString() }
      }
    }),
  )
}
