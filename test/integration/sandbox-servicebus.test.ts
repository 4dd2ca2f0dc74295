// The sandbox's Service Bus administration endpoint driven by the REAL ServiceBusAdministrationClient
// (@azure/service-bus 7.9.5) over HTTPS: a TokenCredential returning the sandbox token and a SAS
// connection string, entity CRUD with the SDK's own parsing, runtime counts, paging, the SDK's error
// mapping, persistence, API faults with Retry-After, and the write statistics.
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ServiceBusAdministrationClient, type ServiceBusAdministrationClientOptions } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESET_FILES } from '../../src/sandbox/lifecycle.js'
import { advertisedEndpoints, makeTempDir, raw, sandboxSdkOptions, startTestSandbox, staticCredential, waitFor, type TestSandbox } from './sandbox-helpers.js'

interface Bus {
  sandbox: TestSandbox
  /** `127.0.0.1:PORT`: the client's fully qualified namespace. */
  host: string
  endpoint: string
  client: ServiceBusAdministrationClient
  connect(options?: { token?: string; retries?: number }): ServiceBusAdministrationClient
}

async function serviceBusOf(sandbox: TestSandbox): Promise<Bus> {
  const endpoint = (await advertisedEndpoints(sandbox.dir)).serviceBus!
  const host = new URL(endpoint).host
  const connect = (options: { token?: string; retries?: number } = {}): ServiceBusAdministrationClient => {
    const clientOptions: ServiceBusAdministrationClientOptions = { ...sandboxSdkOptions(sandbox.caCert), retryOptions: { maxRetries: options.retries ?? 0 } }
    return new ServiceBusAdministrationClient(host, staticCredential(options.token ?? sandbox.handle.token), clientOptions)
  }
  return { sandbox, host, endpoint, client: connect(), connect }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** The RestError a call fails with. */
async function failure(call: Promise<unknown>): Promise<{ code?: string; statusCode?: number; message: string; response?: { headers: { get(name: string): string | undefined } } }> {
  try {
    await call
  } catch (error) {
    return error as Awaited<ReturnType<typeof failure>>
  }
  throw new Error('the call should have failed')
}

async function control(bus: Bus, method: string, path: string, body?: object): Promise<{ status: number; json: () => unknown }> {
  return raw(bus.sandbox, method, path, { body })
}

async function stats(bus: Bus): Promise<{ writes: number; requests: number; byMethod: Record<string, number>; byStatus: Record<string, number> }> {
  return (await control(bus, 'GET', '/_sandbox/servicebus/stats')).json() as Awaited<ReturnType<typeof stats>>
}

describe('Service Bus endpoint with the real ServiceBusAdministrationClient', () => {
  let bus: Bus

  beforeAll(async () => {
    bus = await serviceBusOf(await startTestSandbox())
  })

  afterAll(async () => {
    await bus.sandbox.stop()
  })

  it('advertises the endpoint in state.json and keeps the key and connection string 0600', async () => {
    expect(bus.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const key = (await readFile(join(bus.sandbox.dir, 'servicebus.key'), 'utf8')).trim()
    expect(Buffer.from(key, 'base64')).toHaveLength(32)
    const connection = (await readFile(join(bus.sandbox.dir, 'servicebus.connection'), 'utf8')).trim()
    expect(connection).toBe(`Endpoint=sb://${bus.host}/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${key}`)
    const namespace = await bus.client.getNamespaceProperties()
    expect(namespace).toMatchObject({ name: 'mkt-sandbox', messagingSku: 'Standard' })
  })

  it('creates, reads, updates, lists and deletes queues', async () => {
    const created = await bus.client.createQueue('orders', { lockDuration: 'PT30S', maxDeliveryCount: 5, requiresSession: true, deadLetteringOnMessageExpiration: true, userMetadata: 'team=a' })
    expect(created._response.status).toBe(201)
    expect(created).toMatchObject({
      name: 'orders',
      lockDuration: 'PT30S',
      maxDeliveryCount: 5,
      requiresSession: true,
      deadLetteringOnMessageExpiration: true,
      maxSizeInMegabytes: 1024,
      defaultMessageTimeToLive: 'P10675199DT2H48M5.4775807S',
      autoDeleteOnIdle: 'P10675199DT2H48M5.4775807S',
      duplicateDetectionHistoryTimeWindow: 'PT10M',
      enableBatchedOperations: true,
      enablePartitioning: false,
      status: 'Active',
      availabilityStatus: 'Available',
      userMetadata: 'team=a',
    })

    const queue = await bus.client.getQueue('orders')
    // A full replace from what GET returned, durations canonicalised like Service Bus (PT60S → PT1M).
    const updated = await bus.client.updateQueue({ ...queue, lockDuration: 'PT60S', maxDeliveryCount: 7 })
    expect(updated._response.status).toBe(200)
    expect(updated).toMatchObject({ lockDuration: 'PT1M', maxDeliveryCount: 7, requiresSession: true, userMetadata: 'team=a' })
    expect((await bus.client.getQueue('orders')).maxDeliveryCount).toBe(7)

    // Properties fixed at creation cannot change.
    const immutable = await failure(bus.client.updateQueue({ ...updated, requiresSession: false } as never))
    expect(immutable).toMatchObject({ code: 'ServiceError', statusCode: 400 })
    expect(immutable.message).toContain('RequiresSession')

    await bus.client.createQueue('payments')
    expect((await all(bus.client.listQueues())).map((q) => q.name)).toEqual(['orders', 'payments'])
    expect(await bus.client.queueExists('payments')).toBe(true)
    await bus.client.deleteQueue('payments')
    expect(await bus.client.queueExists('payments')).toBe(false)
  })

  it('maps duplicates, missing entities and bad input the way the SDK expects', async () => {
    await bus.client.createTopic('dupe.topic')
    expect(await failure(bus.client.createTopic('dupe.topic'))).toMatchObject({ code: 'MessageEntityAlreadyExistsError', statusCode: 409 })
    // Queues and topics share one name space.
    expect(await failure(bus.client.createQueue('dupe.topic'))).toMatchObject({ code: 'MessageEntityAlreadyExistsError', statusCode: 409 })
    const duplicate = await failure(bus.client.createTopic('dupe.topic'))
    expect(duplicate.message).toMatch(/^SubCode=40900\. Conflict\./)

    // GET of a missing entity: 200 with an empty feed, which the SDK turns into MessageEntityNotFoundError.
    expect(await failure(bus.client.getQueue('nope'))).toMatchObject({ code: 'MessageEntityNotFoundError', statusCode: 200 })
    expect(await failure(bus.client.getSubscription('dupe.topic', 'nope'))).toMatchObject({ code: 'MessageEntityNotFoundError' })
    expect(await failure(bus.client.getRule('dupe.topic', 'nope', 'r'))).toMatchObject({ code: 'MessageEntityNotFoundError' })
    // DELETE of a missing entity: 404 <Error>.
    expect(await failure(bus.client.deleteQueue('nope'))).toMatchObject({ code: 'MessageEntityNotFoundError', statusCode: 404 })
    expect(await failure(bus.client.deleteSubscription('dupe.topic', 'nope'))).toMatchObject({ code: 'MessageEntityNotFoundError', statusCode: 404 })
    // Children of a missing parent.
    expect(await failure(all(bus.client.listSubscriptions('no.such.topic')))).toMatchObject({ code: 'MessageEntityNotFoundError', statusCode: 404 })
    expect(await failure(bus.client.createSubscription('no.such.topic', 's'))).toMatchObject({ code: 'MessageEntityNotFoundError', statusCode: 404 })
    // Invalid values are 400 (ServiceError) naming the property.
    const invalid = await failure(bus.client.createQueue('bad-lock', { lockDuration: 'PT10M' }))
    expect(invalid).toMatchObject({ code: 'ServiceError', statusCode: 400 })
    expect(invalid.message).toContain('LockDuration')
    // Forwarding needs an existing target.
    const forward = await failure(bus.client.createQueue('forwarder', { forwardTo: 'missing-queue' }))
    expect(forward).toMatchObject({ code: 'ServiceError', statusCode: 400 })
    expect(forward.message).toContain('missing-queue')
  })

  it('creates subscriptions with the $Default rule, or the default rule given', async () => {
    await bus.client.createTopic('marketplace.events', { maxSizeInMegabytes: 2048, supportOrdering: false, duplicateDetectionHistoryTimeWindow: 'PT1H', requiresDuplicateDetection: true })
    const topic = await bus.client.getTopic('marketplace.events')
    expect(topic).toMatchObject({ name: 'marketplace.events', maxSizeInMegabytes: 2048, supportOrdering: false, requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: 'PT1H', enableExpress: false, status: 'Active' })

    await bus.client.createQueue('indexing')
    const sub = await bus.client.createSubscription('marketplace.events', 'indexing', { maxDeliveryCount: 3, forwardTo: 'indexing', lockDuration: 'PT45S' })
    expect(sub).toMatchObject({
      topicName: 'marketplace.events',
      subscriptionName: 'indexing',
      maxDeliveryCount: 3,
      lockDuration: 'PT45S',
      forwardTo: `sb://${bus.host}/indexing`,
      deadLetteringOnFilterEvaluationExceptions: true,
      requiresSession: false,
      status: 'Active',
    })
    const rules = await all(bus.client.listRules('marketplace.events', 'indexing'))
    expect(rules).toEqual([{ name: '$Default', filter: { sqlExpression: '1=1', sqlParameters: undefined }, action: { sqlExpression: undefined, sqlParameters: undefined } }])

    await bus.client.createSubscription('marketplace.events', 'scanning', { defaultRuleOptions: { name: 'published-only', filter: { correlationId: 'c1', subject: 'AssetPublished', applicationProperties: { tier: 'gold', weight: 3, beta: true } } } })
    const scanningRules = await all(bus.client.listRules('marketplace.events', 'scanning'))
    expect(scanningRules.map((r) => r.name)).toEqual(['published-only'])
    expect(scanningRules[0]!.filter).toMatchObject({ correlationId: 'c1', subject: 'AssetPublished', applicationProperties: { tier: 'gold', weight: 3, beta: true } })

    const subs = await all(bus.client.listSubscriptions('marketplace.events'))
    expect(subs.map((s) => s.subscriptionName)).toEqual(['indexing', 'scanning'])
    expect(subs.every((s) => s.topicName === 'marketplace.events')).toBe(true)

    // Update: full replace from GET.
    const current = await bus.client.getSubscription('marketplace.events', 'indexing')
    const updated = await bus.client.updateSubscription({ ...current, maxDeliveryCount: 9, forwardTo: undefined })
    expect(updated.maxDeliveryCount).toBe(9)
    expect(updated.forwardTo).toBeUndefined()
    expect(await failure(bus.client.updateSubscription({ ...updated, requiresSession: true } as never))).toMatchObject({ statusCode: 400 })
    expect(await failure(bus.client.createSubscription('marketplace.events', 'indexing'))).toMatchObject({ code: 'MessageEntityAlreadyExistsError' })
  })

  it('creates, reads, updates, lists and deletes SQL and correlation rules', async () => {
    await bus.client.createTopic('rules.topic')
    await bus.client.createSubscription('rules.topic', 'sub')
    const sql = await bus.client.createRule('rules.topic', 'sub', 'eu', { sqlExpression: 'region = @r AND size > @n', sqlParameters: { '@r': 'eu', '@n': 3 } }, { sqlExpression: 'SET routed = @flag', sqlParameters: { '@flag': true } })
    expect(sql._response.status).toBe(201)
    expect(sql).toMatchObject({ name: 'eu', filter: { sqlExpression: 'region = @r AND size > @n', sqlParameters: { '@r': 'eu', '@n': 3 } }, action: { sqlExpression: 'SET routed = @flag', sqlParameters: { '@flag': true } } })

    const correlation = await bus.client.createRule('rules.topic', 'sub', 'installs', { subject: 'InstallationRequested', contentType: 'application/json', applicationProperties: { region: 'us' } })
    expect(correlation.filter).toMatchObject({ subject: 'InstallationRequested', contentType: 'application/json', applicationProperties: { region: 'us' } })

    const got = await bus.client.getRule('rules.topic', 'sub', 'eu')
    expect(got.filter).toEqual(sql.filter)
    const updated = await bus.client.updateRule('rules.topic', 'sub', { ...got, filter: { sqlExpression: 'region = @r', sqlParameters: { '@r': 'apac' } }, action: { sqlExpression: undefined } })
    expect(updated).toMatchObject({ filter: { sqlExpression: 'region = @r', sqlParameters: { '@r': 'apac' } }, action: { sqlExpression: undefined } })

    // `{ sqlExpression: '' }` (what a caller passes for "no action") is stored as the EmptyRuleAction it means.
    const cleared = await bus.client.updateRule('rules.topic', 'sub', { ...(await bus.client.getRule('rules.topic', 'sub', 'installs')), action: { sqlExpression: '' } })
    expect(cleared.action.sqlExpression).toBeUndefined()

    expect((await all(bus.client.listRules('rules.topic', 'sub'))).map((r) => r.name)).toEqual(['$Default', 'eu', 'installs'])
    expect(await failure(bus.client.createRule('rules.topic', 'sub', 'eu', { sqlExpression: '1=1' }))).toMatchObject({ code: 'MessageEntityAlreadyExistsError' })
    await bus.client.deleteRule('rules.topic', 'sub', '$Default')
    expect(await bus.client.ruleExists('rules.topic', 'sub', '$Default')).toBe(false)
    expect((await all(bus.client.listRules('rules.topic', 'sub'))).map((r) => r.name)).toEqual(['eu', 'installs'])

    // Deleting the topic takes its subscriptions and rules with it.
    await bus.client.deleteTopic('rules.topic')
    expect(await failure(bus.client.getSubscription('rules.topic', 'sub'))).toMatchObject({ code: 'MessageEntityNotFoundError' })
  })

  it('reports runtime counts set through the control route', async () => {
    await bus.client.createQueue('backlog')
    await bus.client.createTopic('counted.topic')
    await bus.client.createSubscription('counted.topic', 'worker')

    const set = await control(bus, 'POST', '/_sandbox/servicebus/counts', { entity: 'backlog', active: 12, deadLetter: 3, scheduled: 2, transfer: 1 })
    expect(set.status).toBe(200)
    expect(set.json()).toMatchObject({ kind: 'queue', counts: { active: 12, deadLetter: 3, scheduled: 2, transfer: 1, transferDeadLetter: 0 }, messageCount: 18 })
    await control(bus, 'POST', '/_sandbox/servicebus/counts', { entity: 'counted.topic/Subscriptions/worker', active: 40, deadLetter: 5 })
    await control(bus, 'POST', '/_sandbox/servicebus/counts', { entity: 'counted.topic', scheduled: 4 })

    expect(await bus.client.getQueueRuntimeProperties('backlog')).toMatchObject({ name: 'backlog', activeMessageCount: 12, deadLetterMessageCount: 3, scheduledMessageCount: 2, transferMessageCount: 1, transferDeadLetterMessageCount: 0, totalMessageCount: 18 })
    expect(await bus.client.getSubscriptionRuntimeProperties('counted.topic', 'worker')).toMatchObject({ topicName: 'counted.topic', subscriptionName: 'worker', activeMessageCount: 40, deadLetterMessageCount: 5, totalMessageCount: 45 })
    expect(await bus.client.getTopicRuntimeProperties('counted.topic')).toMatchObject({ name: 'counted.topic', scheduledMessageCount: 4, subscriptionCount: 1 })
    const listed = await all(bus.client.listQueuesRuntimeProperties())
    expect(listed.find((q) => q.name === 'backlog')).toMatchObject({ activeMessageCount: 12 })
    const subs = await all(bus.client.listSubscriptionsRuntimeProperties('counted.topic'))
    expect(subs[0]).toMatchObject({ subscriptionName: 'worker', activeMessageCount: 40 })

    // An update keeps the counts (they are runtime state, not settings).
    await bus.client.updateQueue({ ...(await bus.client.getQueue('backlog')), maxDeliveryCount: 4 })
    expect((await bus.client.getQueueRuntimeProperties('backlog')).activeMessageCount).toBe(12)

    expect((await control(bus, 'POST', '/_sandbox/servicebus/counts', { entity: 'nope', active: 1 })).status).toBe(404)
    expect((await control(bus, 'POST', '/_sandbox/servicebus/counts', { entity: 'backlog', active: -1 })).status).toBe(400)
  })

  it('pages lists with $skip/$top and rel="next" (100 per page by default)', async () => {
    const names = Array.from({ length: 105 }, (_, i) => `paged/topic-${String(i).padStart(3, '0')}`)
    for (let i = 0; i < names.length; i += 15) await Promise.all(names.slice(i, i + 15).map((name) => bus.client.createTopic(name)))
    const listed = (await all(bus.client.listTopics())).map((t) => t.name).filter((n) => n.startsWith('paged/'))
    expect(listed).toEqual(names)

    const pages: number[] = []
    let seen = 0
    for await (const page of bus.client.listTopics().byPage({ maxPageSize: 40 })) {
      pages.push(page.length)
      seen += page.filter((t) => t.name.startsWith('paged/')).length
    }
    expect(seen).toBe(105)
    expect(pages.slice(0, -1).every((n) => n === 40)).toBe(true)
    expect(pages.reduce((a, b) => a + b, 0)).toBe((await all(bus.client.listTopics())).length)
    // Resuming from a continuation token.
    const first = await bus.client.listTopics().byPage({ maxPageSize: 100 }).next()
    expect(first.value!.continuationToken).toBe('100')
    const rest = await bus.client.listTopics().byPage({ maxPageSize: 100, continuationToken: '100' }).next()
    expect(rest.value!.length).toBeGreaterThan(0)
    expect(rest.value!.continuationToken).toBeUndefined()
  })

  it('rejects a wrong bearer token with 401 SubCode=40100', async () => {
    const intruder = bus.connect({ token: 'not-the-token' })
    const denied = await failure(intruder.getQueue('orders'))
    expect(denied).toMatchObject({ code: 'UnauthorizedRequestError', statusCode: 401 })
    expect(denied.message).toMatch(/^SubCode=40100/)
    // exists() swallows it, as the SDK does for every error.
    expect(await intruder.queueExists('orders')).toBe(false)
  })

  it('accepts a SAS connection string made with the namespace key, and rejects other keys', async () => {
    const connectionString = (await readFile(join(bus.sandbox.dir, 'servicebus.connection'), 'utf8')).trim()
    const sas = new ServiceBusAdministrationClient(connectionString, sandboxSdkOptions(bus.sandbox.caCert))
    await sas.createQueue('sas-created')
    // Forwarding PUTs carry a supplementary SAS token for the namespace.
    const sub = await sas.createQueue('sas-forwarder', { forwardTo: 'sas-created', forwardDeadLetteredMessagesTo: 'sas-created' })
    expect(sub.forwardDeadLetteredMessagesTo).toBe(`sb://${bus.host}/sas-created`)
    expect((await all(sas.listQueues())).map((q) => q.name)).toContain('sas-created')

    const wrongKey = connectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`)
    const denied = await failure(new ServiceBusAdministrationClient(wrongKey, sandboxSdkOptions(bus.sandbox.caCert)).getQueue('sas-created'))
    expect(denied).toMatchObject({ code: 'UnauthorizedRequestError', statusCode: 401 })
    const wrongName = connectionString.replace('RootManageSharedAccessKey', 'SendOnly')
    expect(await failure(new ServiceBusAdministrationClient(wrongName, sandboxSdkOptions(bus.sandbox.caCert)).getQueue('sas-created'))).toMatchObject({ statusCode: 401 })
  })

  it('works through localhost too (the certificate covers it)', async () => {
    const viaLocalhost = new ServiceBusAdministrationClient(bus.host.replace('127.0.0.1', 'localhost'), staticCredential(bus.sandbox.handle.token), sandboxSdkOptions(bus.sandbox.caCert))
    expect((await viaLocalhost.getQueue('orders')).name).toBe('orders')
  })

  it('counts write calls: reads make none, every PUT and DELETE counts', async () => {
    const reset = await control(bus, 'POST', '/_sandbox/servicebus/stats/reset')
    expect(reset.status).toBe(200)
    await all(bus.client.listTopics())
    await bus.client.getQueue('orders')
    await bus.client.queueExists('nope')
    expect(await stats(bus)).toMatchObject({ writes: 0, requests: 4, byMethod: { GET: 4 } })
    await bus.client.createQueue('counted-write')
    await bus.client.deleteQueue('counted-write')
    await failure(bus.client.deleteQueue('counted-write'))
    const after = await stats(bus)
    expect(after).toMatchObject({ writes: 3, requests: 7, byMethod: { GET: 4, PUT: 1, DELETE: 2 }, byStatus: { 200: 5, 201: 1, 404: 1 } })
  })
})

describe('Service Bus endpoint: API faults', () => {
  let bus: Bus

  beforeAll(async () => {
    // The controllers own the fault registry and the /_sandbox/faults routes.
    bus = await serviceBusOf(await startTestSandbox({ controllers: true, seed: [] }))
    await bus.client.createTopic('marketplace.events')
  })

  afterAll(async () => {
    await bus.sandbox.stop()
  })

  it('answers 429 with Retry-After and an XML error the SDK maps', async () => {
    const fault = await control(bus, 'POST', '/_sandbox/faults', { id: 'throttle-events', pathPattern: '/marketplace.events*', status: 429, retryAfterSeconds: 1 })
    expect(fault.status).toBe(201)
    try {
      const throttled = await failure(bus.client.getTopic('marketplace.events'))
      expect(throttled).toMatchObject({ code: 'ServiceError', statusCode: 429 })
      expect(throttled.response!.headers.get('retry-after')).toBe('1')
      // Other paths are untouched.
      await bus.client.createQueue('unthrottled')
    } finally {
      await control(bus, 'DELETE', '/_sandbox/faults/throttle-events')
    }
  })

  it("lets the SDK's retry policy wait Retry-After and succeed", async () => {
    await control(bus, 'POST', '/_sandbox/servicebus/stats/reset')
    await control(bus, 'POST', '/_sandbox/faults', { id: 'throttle-once', pathPattern: '/marketplace.events*', status: 429, retryAfterSeconds: 1 })
    const retrying = bus.connect({ retries: 3 })
    const started = Date.now()
    const call = retrying.getTopic('marketplace.events')
    // Lift the fault once the first attempt has been throttled: the retry after 1 s then succeeds.
    await waitFor(async () => ((await stats(bus)).byStatus['429'] ?? 0) >= 1 || undefined, 10_000, 'a throttled request')
    await control(bus, 'DELETE', '/_sandbox/faults/throttle-once')
    const topic = await call
    expect(topic.name).toBe('marketplace.events')
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect((await stats(bus)).byStatus).toMatchObject({ 429: 1, 200: 1 })
  })

  it('injects 503, latency and dropped connections too', async () => {
    await control(bus, 'POST', '/_sandbox/faults', { id: 'busy', pathPattern: '/$Resources/**', status: 503, retryAfterSeconds: 2 })
    try {
      const busy = await failure(all(bus.client.listQueues()))
      expect(busy).toMatchObject({ code: 'ServerBusyError', statusCode: 503 })
      expect(busy.response!.headers.get('retry-after')).toBe('2')
    } finally {
      await control(bus, 'DELETE', '/_sandbox/faults/busy')
    }
    await control(bus, 'POST', '/_sandbox/faults', { id: 'slow', pathPattern: '/marketplace.events', latencyMs: 300 })
    try {
      const started = Date.now()
      await bus.client.getTopic('marketplace.events')
      expect(Date.now() - started).toBeGreaterThanOrEqual(280)
    } finally {
      await control(bus, 'DELETE', '/_sandbox/faults/slow')
    }
    await control(bus, 'POST', '/_sandbox/faults', { id: 'dropped', pathPattern: '/marketplace.events', drop: true })
    try {
      const dropped = await failure(bus.client.getTopic('marketplace.events'))
      expect(dropped.statusCode).toBeUndefined()
      expect(dropped.code).toMatch(/ECONNRESET|socket hang up/i)
    } finally {
      await control(bus, 'DELETE', '/_sandbox/faults/dropped')
    }
  })
})

describe('Service Bus endpoint: persistence', () => {
  it('keeps entities, counts, key and port across stop/start; a reset wipes the entities only', async () => {
    const dir = await makeTempDir()
    try {
      const first = await serviceBusOf(await startTestSandbox({}, dir))
      await first.client.createQueue('kept', { maxDeliveryCount: 4 })
      await first.client.createTopic('kept.topic')
      await first.client.createSubscription('kept.topic', 'sub', { defaultRuleOptions: { name: 'only', filter: { sqlExpression: 'a = 1' } } })
      await control(first, 'POST', '/_sandbox/servicebus/counts', { entity: 'kept', active: 7 })
      const key = await readFile(join(dir, 'servicebus.key'), 'utf8')
      await first.sandbox.stop()

      const second = await serviceBusOf(await startTestSandbox({}, dir))
      expect(second.endpoint).toBe(first.endpoint)
      expect(await readFile(join(dir, 'servicebus.key'), 'utf8')).toBe(key)
      expect((await second.client.getQueue('kept')).maxDeliveryCount).toBe(4)
      expect((await second.client.getQueueRuntimeProperties('kept')).activeMessageCount).toBe(7)
      expect((await all(second.client.listRules('kept.topic', 'sub'))).map((r) => r.name)).toEqual(['only'])
      await second.sandbox.stop()

      // What `mkt sandbox reset` removes (it stops the sandbox first).
      for (const file of RESET_FILES) await rm(join(dir, file), { force: true })
      const third = await serviceBusOf(await startTestSandbox({}, dir))
      try {
        expect(await all(third.client.listQueues())).toEqual([])
        expect(await readFile(join(dir, 'servicebus.key'), 'utf8')).toBe(key)
      } finally {
        await third.sandbox.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
