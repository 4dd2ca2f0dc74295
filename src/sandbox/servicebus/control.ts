// The Service Bus endpoint's control routes, on the Kubernetes listener's authenticated /_sandbox/
// router: message counts (the sandbox has no messages, so tests and `mkt sandbox fault` set what
// `get*RuntimeProperties` report) and request statistics (how many writes reached the namespace, so a
// test can prove that a no-op apply writes nothing).
import { z } from 'zod'
import { StatusError } from '../errors.js'
import type { SandboxApi, SandboxRouteResponse } from '../types.js'
import { COUNT_FIELDS, ServiceBusError, totalMessages, type MessageCounts, type ServiceBusNamespace } from './entities.js'

export interface ServiceBusStats {
  /** When counting started (start, or the last reset). */
  since: string
  requests: number
  /** PUT and DELETE requests received, whatever their outcome. */
  writes: number
  byMethod: Record<string, number>
  byStatus: Record<string, number>
}

export class StatsCounter {
  private stats: ServiceBusStats = StatsCounter.empty()

  private static empty(): ServiceBusStats {
    return { since: new Date().toISOString(), requests: 0, writes: 0, byMethod: {}, byStatus: {} }
  }

  request(method: string): void {
    this.stats.requests++
    this.stats.byMethod[method] = (this.stats.byMethod[method] ?? 0) + 1
    if (method === 'PUT' || method === 'DELETE') this.stats.writes++
  }

  answered(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1
  }

  current(): ServiceBusStats {
    return structuredClone(this.stats)
  }

  /** Starts counting again; returns the counts up to now. */
  reset(): ServiceBusStats {
    const previous = this.stats
    this.stats = StatsCounter.empty()
    return previous
  }
}

const count = z.number().int().nonnegative()
const countsSchema = z.strictObject({
  entity: z.string().min(1),
  active: count.optional(),
  deadLetter: count.optional(),
  scheduled: count.optional(),
  transfer: count.optional(),
  transferDeadLetter: count.optional(),
  sizeInBytes: count.optional(),
})

function countsView(kind: string, entity: { name: string; counts: MessageCounts; sizeInBytes: number }, path: string): Record<string, unknown> {
  return { entity: path, kind, counts: { ...entity.counts }, messageCount: totalMessages(entity.counts), sizeInBytes: entity.sizeInBytes }
}

/**
 * Registers:
 * - `POST /_sandbox/servicebus/counts` `{ entity, active?, deadLetter?, scheduled?, transfer?, transferDeadLetter?, sizeInBytes? }`
 *   (`entity`: a queue or topic name, or `topic/Subscriptions/sub`) → `{ entity, kind, counts, messageCount, sizeInBytes }`
 * - `GET /_sandbox/servicebus/stats` → ServiceBusStats plus `entities` (how many of each)
 * - `POST /_sandbox/servicebus/stats/reset` → the stats up to the reset
 */
export function registerServiceBusRoutes(api: Pick<SandboxApi, 'registerSandboxRoute'>, namespace: ServiceBusNamespace, stats: StatsCounter, persist: () => Promise<void>): void {
  api.registerSandboxRoute('POST', '/_sandbox/servicebus/counts', async (request): Promise<SandboxRouteResponse> => {
    const parsed = countsSchema.safeParse(request.json)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
      throw new StatusError(400, 'BadRequest', `invalid counts (${[...COUNT_FIELDS, 'sizeInBytes'].join(', ')} are non-negative integers; entity is required): ${problems.join('; ')}`)
    }
    const { entity, ...counts } = parsed.data
    try {
      const target = namespace.setCounts(entity, counts)
      await persist()
      return { status: 200, body: countsView(target.kind, target.entity, entity) }
    } catch (error) {
      if (error instanceof ServiceBusError && error.status === 404) throw new StatusError(404, 'NotFound', `no queue, topic or subscription "${entity}" in the sandbox's Service Bus namespace`)
      throw error
    }
  })
  api.registerSandboxRoute('GET', '/_sandbox/servicebus/stats', () => ({ body: { ...stats.current(), entities: namespace.counts() } }))
  api.registerSandboxRoute('POST', '/_sandbox/servicebus/stats/reset', () => ({ body: stats.reset() }))
}
