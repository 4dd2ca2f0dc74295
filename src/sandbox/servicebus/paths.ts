// Request paths of the Service Bus administration API. Queue and topic names may contain `/`, so a
// path is split on the last `/Subscriptions/` and then on `/Rules/`, the way the SDK's setName does;
// the segments match case-insensitively and are kept as the client wrote them, because entry ids
// must echo them (the SDK's name regexes are case-sensitive).
import { badRequest } from './entities.js'

export type ServiceBusRoute =
  | { kind: 'namespaceInfo' }
  | { kind: 'listQueues' }
  | { kind: 'listTopics' }
  /** A queue or a topic (they share one name space). */
  | { kind: 'entity'; name: string }
  | { kind: 'listSubscriptions'; topic: string; subscriptionsSegment: string }
  | { kind: 'subscription'; topic: string; subscription: string; subscriptionsSegment: string }
  | { kind: 'listRules'; topic: string; subscription: string; subscriptionsSegment: string; rulesSegment: string }
  | { kind: 'rule'; topic: string; subscription: string; rule: string; subscriptionsSegment: string; rulesSegment: string }

function decode(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    throw badRequest(`The request path '${path}' is not valid percent-encoding.`)
  }
}

/** Finds `/segment/` (or a trailing `/segment`) case-insensitively: the last occurrence, or the first. */
function findSegment(path: string, segment: string, last: boolean): { index: number; written: string; rest: string } | undefined {
  const lower = path.toLowerCase()
  const needle = `/${segment.toLowerCase()}`
  let index = last ? lower.lastIndexOf(`${needle}/`) : lower.indexOf(`${needle}/`)
  if (index < 0 && lower.endsWith(needle)) index = lower.length - needle.length
  if (index <= 0) return undefined
  return { index, written: path.slice(index + 1, index + needle.length), rest: path.slice(index + needle.length + 1) }
}

/** The route of a request path (`/orders`, `/$Resources/Topics`, `/t/Subscriptions/s/Rules/r`, …). */
export function parseServiceBusPath(rawPath: string): ServiceBusRoute | undefined {
  const path = decode(rawPath).replace(/^\/+/, '')
  const lower = path.toLowerCase().replace(/\/+$/, '')
  if (lower === '') return undefined
  if (lower === '$namespaceinfo') return { kind: 'namespaceInfo' }
  if (lower === '$resources/queues') return { kind: 'listQueues' }
  if (lower === '$resources/topics') return { kind: 'listTopics' }

  const subscriptions = findSegment(path, 'Subscriptions', true)
  if (subscriptions === undefined) return { kind: 'entity', name: path.replace(/\/+$/, '') }
  const topic = path.slice(0, subscriptions.index)
  const subscriptionsSegment = subscriptions.written
  const afterSubscriptions = subscriptions.rest
  if (afterSubscriptions.replace(/\/+$/, '') === '') return { kind: 'listSubscriptions', topic, subscriptionsSegment }

  const rules = findSegment(`/${afterSubscriptions}`, 'Rules', false)
  if (rules === undefined) {
    const subscription = afterSubscriptions.replace(/\/+$/, '')
    if (subscription.includes('/')) return undefined
    return { kind: 'subscription', topic, subscription, subscriptionsSegment }
  }
  const subscription = afterSubscriptions.slice(0, rules.index - 1)
  const rulesSegment = rules.written
  const rule = rules.rest.replace(/\/+$/, '')
  if (subscription === '' || subscription.includes('/') || rule.includes('/')) return undefined
  if (rule === '') return { kind: 'listRules', topic, subscription, subscriptionsSegment, rulesSegment }
  return { kind: 'rule', topic, subscription, rule, subscriptionsSegment, rulesSegment }
}
