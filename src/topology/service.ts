// The topology commands' engine: find and read topology.yaml, read the namespace, plan, apply, list.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ServiceBusAdministrationClient } from '@azure/service-bus'
import { serviceBusFor } from '../azure/servicebus.js'
import { azureFailure } from '../azure/failures.js'
import { usageError, MktError } from '../errors.js'
import { templatesDir } from '../paths.js'
import type { Environment, Platform } from '../platform/schema.js'
import { withPool } from '../pool.js'
import { parseYamlInput } from '../yaml-input.js'
import { readInputFile } from '../input-file.js'
import { applyChanges, readNamespace, type ChangeOutcome } from './namespace.js'
import { limitProblems } from './limits.js'
import { desiredEntities, planTopology, type TopologyPlan } from './plan.js'
import { topologySchema, type Topology } from './schema.js'

/** `--file`, else topology.yaml beside mkt.yaml, else the built-in template. */
export function topologyPath(file: string | undefined, platformSource: string): string {
  if (file) {
    const path = resolve(file)
    if (!existsSync(path)) throw usageError(`topology file ${file} does not exist`, { hints: ['Pass --file with the path of a topology.yaml, or run `mkt init`.'] })
    return path
  }
  if (platformSource !== 'built-in') {
    const beside = join(dirname(platformSource), 'topology.yaml')
    if (existsSync(beside)) return beside
  }
  return join(templatesDir(), 'topology.yaml')
}

export function loadTopology(path: string): Topology {
  const input = parseYamlInput(readInputFile(path, { what: 'topology file' }), path, topologySchema, 'See the topology.yaml reference in the README, or schemas/topology.schema.json.')
  const topology = input.value
  // Names must be unique (case-insensitively, like Service Bus), and forward targets must be declared queues or topics.
  const seen = new Map<string, PropertyKey[]>()
  const claim = (name: string, path: PropertyKey[]) => {
    const key = name.toLowerCase()
    if (seen.has(key)) throw input.errorAt(path, `"${name}" is declared twice`)
    seen.set(key, path)
  }
  topology.queues.forEach((q, i) => claim(q.name, ['queues', i, 'name']))
  topology.topics.forEach((t, i) => {
    claim(t.name, ['topics', i, 'name'])
    const subs = new Set<string>()
    t.subscriptions.forEach((s, j) => {
      if (subs.has(s.name.toLowerCase())) throw input.errorAt(['topics', i, 'subscriptions', j, 'name'], `subscription "${s.name}" is declared twice in topic ${t.name}`)
      subs.add(s.name.toLowerCase())
      for (const field of ['forwardTo', 'forwardDeadLetteredMessagesTo'] as const) {
        const target = s[field]
        if (target && !seen.has(target.toLowerCase()) && !topology.topics.some((other) => other.name.toLowerCase() === target.toLowerCase())) {
          throw input.errorAt(['topics', i, 'subscriptions', j, field], `forwards to "${target}", which is not a queue or topic in this file`)
        }
      }
    })
  })
  for (const [env, overrides] of Object.entries(topology.environments)) {
    for (const name of Object.keys(overrides.queues)) if (!topology.queues.some((q) => q.name === name)) throw input.errorAt(['environments', env, 'queues', name], `unknown queue "${name}"`)
    for (const name of Object.keys(overrides.topics)) if (!topology.topics.some((t) => t.name === name)) throw input.errorAt(['environments', env, 'topics', name], `unknown topic "${name}"`)
    for (const key of Object.keys(overrides.subscriptions)) {
      const known = topology.topics.some((t) => t.subscriptions.some((s) => `${t.name}/${s.name}` === key))
      if (!known) throw input.errorAt(['environments', env, 'subscriptions', key], `unknown subscription "${key}" (keys are "topic/subscription")`)
    }
  }
  const outOfLimits = limitProblems(topology)[0]
  if (outOfLimits) throw input.errorAt(outOfLimits.path, outOfLimits.message, ['Service Bus would refuse this at apply; see "Service Bus quotas" in the Azure docs.'])
  return topology
}

/** Azure SDK failures as mkt errors: auth 77, throttled/unreachable 69. */
export function serviceBusError(error: unknown, namespace: string, action: string): MktError {
  return azureFailure(error, `Service Bus ${namespace}`, action, {
    auth: 'Sign in (`az login`, or the pipeline identity) with the "Azure Service Bus Data Owner" role on the namespace, or set MKT_SERVICEBUS_CONNECTION_STRING to a SAS key with Manage rights.',
    unavailable: 'Retry in a moment; a rerun finishes what was not applied.',
  })
}

export interface TopologyContext {
  client: ServiceBusAdministrationClient
  namespace: string
  topology: Topology
  file: string
}

export async function openTopology(platform: Platform, environment: Environment, file: string): Promise<TopologyContext> {
  const topology = loadTopology(file)
  const { client, namespace } = await serviceBusFor(platform, environment)
  return { client, namespace, topology, file }
}

export async function planFor(context: TopologyContext, environment: string, prune: boolean): Promise<TopologyPlan> {
  try {
    const actual = await readNamespace(context.client)
    return planTopology(desiredEntities(context.topology, environment), actual, { prune })
  } catch (error) {
    throw serviceBusError(error, context.namespace, 'read the namespace')
  }
}

export async function applyPlan(context: TopologyContext, plan: TopologyPlan, concurrency: number, onChange: (outcome: ChangeOutcome) => void) {
  return applyChanges(context.client, plan.changes, concurrency, onChange)
}

export interface ListedEntity {
  kind: 'queue' | 'topic' | 'subscription'
  name: string
  settings: Record<string, string | number | boolean>
  counts: { active: number; deadLetter: number; scheduled: number } | null
}

/** Every queue, topic and subscription with key settings and runtime message counts. */
export async function listEntities(context: TopologyContext): Promise<ListedEntity[]> {
  const { client } = context
  try {
    const entities = await readNamespace(client)
    const listed = entities.filter((e) => e.kind !== 'rule')
    return await withPool(
      listed.map((e) => async (): Promise<ListedEntity> => {
        let counts: ListedEntity['counts']
        if (e.kind === 'queue') {
          const r = await client.getQueueRuntimeProperties(e.key)
          counts = { active: r.activeMessageCount, deadLetter: r.deadLetterMessageCount, scheduled: r.scheduledMessageCount }
        } else if (e.kind === 'subscription') {
          const [topic, sub] = [e.key.split('/').slice(0, -1).join('/'), e.key.split('/').at(-1)!]
          const r = await client.getSubscriptionRuntimeProperties(topic, sub)
          counts = { active: r.activeMessageCount, deadLetter: r.deadLetterMessageCount, scheduled: 0 }
        } else {
          const r = await client.getTopicRuntimeProperties(e.key)
          counts = { active: 0, deadLetter: 0, scheduled: r.scheduledMessageCount }
        }
        return { kind: e.kind as ListedEntity['kind'], name: e.key, settings: e.settings, counts }
      }),
      16,
    )
  } catch (error) {
    throw serviceBusError(error, context.namespace, 'list entities')
  }
}
