// The Service Bus endpoint's pure parts: the XML reader/writer, the ATOM descriptions (the SDK's exact
// request bodies from shared/reference/azure.md §1.4), durations, paths, SAS checks, and the namespace
// model's semantics.
import { createHmac } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { document, emptyFeed, feed, parseEntry, QUEUE_LAYOUT, queueDescription, ruleDescription, SUBSCRIPTION_LAYOUT, subscriptionDescription, TOPIC_LAYOUT, type RenderContext } from '../../src/sandbox/servicebus/atom.js'
import { authenticate, normaliseResource, verifySas, verifySupplementary } from '../../src/sandbox/servicebus/auth.js'
import { canonicalDuration, MAX_DURATION, parseDuration } from '../../src/sandbox/servicebus/duration.js'
import { forwardTargetName, QUEUE_PROPERTIES, ServiceBusError, ServiceBusNamespace, SUBSCRIPTION_PROPERTIES, TOPIC_PROPERTIES, type EntityInput } from '../../src/sandbox/servicebus/entities.js'
import { faultError } from '../../src/sandbox/servicebus/faults.js'
import { parseServiceBusPath } from '../../src/sandbox/servicebus/paths.js'
import { SnapshotWriter } from '../../src/sandbox/servicebus/persistence.js'
import { attributeOf, el, firstChild, leaf, parseXml, resolveQName, serializeXml, textOf, XmlParseError } from '../../src/sandbox/servicebus/xml.js'

const XSI = 'http://www.w3.org/2001/XMLSchema-instance'
const ctx: RenderContext = { host: '127.0.0.1:5443', apiVersion: '2021-05', namespaceName: 'mkt-sandbox', now: '2026-01-01T00:00:00.000Z' }

/** The bodies @azure/service-bus 7.9.5 sends (§1.4, captured from the SDK). */
const SDK_BODIES = {
  topic: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom"><updated>2026-11-26T22:49:47.970Z</updated><content type="application/xml"><TopicDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><MaxSizeInMegabytes>1024</MaxSizeInMegabytes></TopicDescription></content></entry>',
  subscription:
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom"><updated>2026-11-26T22:49:47.970Z</updated><content type="application/xml"><SubscriptionDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><DefaultRuleDescription><Filter p4:type="SqlFilter" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"><SqlExpression>1=1</SqlExpression></Filter><Action p4:type="EmptyRuleAction" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"/><Name>$Default</Name></DefaultRuleDescription><MaxDeliveryCount>5</MaxDeliveryCount></SubscriptionDescription></content></entry>',
  sqlRule:
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom"><updated>2026-11-26T22:49:47.970Z</updated><content type="application/xml"><RuleDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Filter p4:type="SqlFilter" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"><SqlExpression>region = @r</SqlExpression><Parameters><KeyValueOfstringanyType><Key>@r</Key><Value p4:type="l28:string" xmlns:l28="http://www.w3.org/2001/XMLSchema">eu</Value></KeyValueOfstringanyType></Parameters></Filter><Action p4:type="SqlRuleAction" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"><SqlExpression>SET x = 1</SqlExpression></Action><Name>eu</Name></RuleDescription></content></entry>',
  correlationRule:
    '<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml"><RuleDescription xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Filter p4:type="CorrelationFilter" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"><CorrelationId>c1</CorrelationId><Label>s</Label><Properties><KeyValueOfstringanyType><Key>k</Key><Value p4:type="l28:string" xmlns:l28="http://www.w3.org/2001/XMLSchema">v</Value></KeyValueOfstringanyType><KeyValueOfstringanyType><Key>n</Key><Value p4:type="l28:double" xmlns:l28="http://www.w3.org/2001/XMLSchema">3</Value></KeyValueOfstringanyType></Properties></Filter><Action p4:type="EmptyRuleAction" xmlns:p4="http://www.w3.org/2001/XMLSchema-instance"/><Name>c</Name></RuleDescription></content></entry>',
}

describe('XML reader', () => {
  it('resolves namespace prefixes of elements, attributes and QName values', () => {
    const root = parseXml('<a xmlns="urn:a" xmlns:i="urn:i"><b i:type="x:t" xmlns:x="urn:x">text</b></a>')
    expect(root).toMatchObject({ local: 'a', namespace: 'urn:a' })
    const b = firstChild(root, 'b')!
    expect(b.namespace).toBe('urn:a')
    expect(attributeOf(b, 'type', 'urn:i')).toBe('x:t')
    expect(resolveQName(b, 'x:t')).toEqual({ namespace: 'urn:x', local: 't' })
    expect(resolveQName(root, 'x:t')).toBeUndefined()
  })

  it('decodes references and CDATA, skips comments and processing instructions', () => {
    const root = parseXml('<?xml version="1.0"?><!-- c --><a t="&quot;q&quot; &#65;">x &lt;&amp;&gt; &#x263A;<![CDATA[<raw>&amp;]]><!-- inner --><?pi ok?></a>')
    expect(attributeOf(root, 't')).toBe('"q" A')
    expect(textOf(root)).toBe('x <&> ☺<raw>&amp;')
  })

  it.each([
    ['<a><b></a>', 'closes'],
    ['<a></a><b/>', 'after the root'],
    ['<p:a/>', 'undeclared namespace prefix'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'DOCTYPE'],
    ['<a>&nbsp;</a>', 'unknown entity'],
    ['<a b="1" b="2"/>', 'duplicate attribute'],
    ['<a b=1/>', 'quoted'],
    ['<a>', 'not closed'],
    ['', 'root element'],
  ])('rejects %s', (text, message) => {
    expect(() => parseXml(text)).toThrow(XmlParseError)
    expect(() => parseXml(text)).toThrow(message)
  })

  it('writes escaped text and attributes that read back the same', () => {
    const xml = serializeXml(el('a', { v: 'x"<&>\n' }, leaf('b', 'a<b & c>'), el('empty'), undefined))
    expect(xml).toBe('<a v="x&quot;&lt;&amp;&gt;&#10;"><b>a&lt;b &amp; c&gt;</b><empty/></a>')
    const back = parseXml(xml)
    expect(attributeOf(back, 'v')).toBe('x"<&>\n')
    expect(textOf(firstChild(back, 'b')!)).toBe('a<b & c>')
  })
})

describe('ATOM descriptions', () => {
  it("reads the SDK's createTopic body", () => {
    expect(parseEntry(SDK_BODIES.topic)).toEqual({ kind: 'TopicDescription', input: { fields: { MaxSizeInMegabytes: '1024' }, authorizationRules: undefined, defaultRule: undefined } })
  })

  it("reads a subscription's DefaultRuleDescription with p4: prefixes", () => {
    const parsed = parseEntry(SDK_BODIES.subscription)
    expect(parsed).toEqual({
      kind: 'SubscriptionDescription',
      input: { fields: { MaxDeliveryCount: '5' }, authorizationRules: undefined, defaultRule: { name: '$Default', filter: { type: 'SqlFilter', sqlExpression: '1=1', parameters: [] }, action: { type: 'EmptyRuleAction' } } },
    })
  })

  it('reads SQL filters with typed parameters and SQL actions', () => {
    expect(parseEntry(SDK_BODIES.sqlRule)).toEqual({
      kind: 'RuleDescription',
      rule: { name: 'eu', filter: { type: 'SqlFilter', sqlExpression: 'region = @r', parameters: [{ key: '@r', type: 'string', value: 'eu' }] }, action: { type: 'SqlRuleAction', sqlExpression: 'SET x = 1', parameters: [] } },
    })
  })

  it('reads correlation filters (subject is <Label>)', () => {
    expect(parseEntry(SDK_BODIES.correlationRule)).toEqual({
      kind: 'RuleDescription',
      rule: {
        name: 'c',
        filter: { type: 'CorrelationFilter', fields: { CorrelationId: 'c1', Label: 's' }, properties: [{ key: 'k', type: 'string', value: 'v' }, { key: 'n', type: 'double', value: '3' }] },
        action: { type: 'EmptyRuleAction' },
      },
    })
  })

  it.each([
    ['not xml', 'not well-formed'],
    ['<feed/>', 'ATOM <entry>'],
    ['<entry><content/></entry>', 'no <content>'],
    ['<entry><content><Nope/></content></entry>', 'Unknown description'],
    ['<entry><content><RuleDescription><Filter/></RuleDescription></content></entry>', 'Unknown filter type'],
  ])('answers 400 for %s', (body, message) => {
    let error: unknown
    try {
      parseEntry(body)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ServiceBusError)
    expect((error as ServiceBusError).status).toBe(400)
    expect((error as ServiceBusError).message).toContain(message)
  })

  it('lays out every settable property and writes runtime elements', () => {
    for (const [layout, specs] of [
      [QUEUE_LAYOUT, QUEUE_PROPERTIES],
      [TOPIC_LAYOUT, TOPIC_PROPERTIES],
      [SUBSCRIPTION_LAYOUT, SUBSCRIPTION_PROPERTIES],
    ] as const) {
      for (const spec of specs) expect(layout, spec.name).toContain(spec.name)
    }
    const ns = namespace()
    ns.putQueue('q', { fields: {} }, 'create')
    ns.putQueue('fwd', { fields: { ForwardTo: 'q' } }, 'create')
    ns.setCounts('fwd', { active: 2, deadLetter: 1 })
    const xml = document(queueDescription(ns.queue('fwd')!, ctx))
    expect(xml).toContain('<ForwardTo>sb://127.0.0.1:5443/q</ForwardTo>')
    expect(xml).toContain('<MessageCount>3</MessageCount>')
    // CountDetails declares exactly one prefix (the SDK's getXMLNSPrefix insists).
    expect(xml).toMatch(/<CountDetails xmlns:d2p1="[^"]+"><d2p1:ActiveMessageCount>2<\/d2p1:ActiveMessageCount>/)
    expect(xml).not.toContain('MaxMessageSizeInKilobytes')
  })

  it('writes typed values with a 4-character prefix and i:type', () => {
    const ns = namespace()
    ns.putTopic('t', { fields: {} }, 'create')
    ns.putSubscription('t', 's', { fields: {} }, 'create')
    const rule = ns.putRule('t', 's', 'r', { filter: { type: 'SqlFilter', sqlExpression: 'a = @a', parameters: [{ key: '@a', type: 'double', value: '3' }] }, action: { type: 'EmptyRuleAction' } }, 'create').entity
    const xml = document(ruleDescription(rule))
    expect(xml).toContain('<Value i:type="d6p1:double" xmlns:d6p1="http://www.w3.org/2001/XMLSchema">3</Value>')
    expect(xml).toContain('<Action i:type="EmptyRuleAction"/>')
    expect(document(subscriptionDescription(ns.subscription('t', 's')!, ctx))).toContain('<CountDetails xmlns:d3p1=')
  })

  it('always writes the self link of a feed, and next only when asked', () => {
    expect(document(feed('Topics', 'https://h/$Resources/Topics', undefined, [], ctx))).toContain('<link rel="self" href="https://h/$Resources/Topics"/>')
    const paged = document(feed('Topics', 'https://h/x', 'https://h/x?$skip=2&$top=2', [], ctx))
    expect(paged).toContain('<link rel="self" href="https://h/x"/><link rel="next" href="https://h/x?$skip=2&amp;$top=2"/>')
    expect(document(emptyFeed(ctx))).toContain('<title type="text">Publicly Listed Services</title>')
  })
})

describe('durations', () => {
  it.each([
    ['PT60S', 'PT1M'],
    ['PT1M', 'PT1M'],
    ['P1D', 'P1D'],
    ['PT24H', 'P1D'],
    ['PT90M', 'PT1H30M'],
    ['PT0.5S', 'PT0.5S'],
    ['P1Y', 'P365D'],
    ['P1DT1S', 'P1DT1S'],
    [MAX_DURATION, MAX_DURATION],
    ['PT0S', 'PT0S'],
  ])('%s is written as %s', (input, expected) => {
    expect(canonicalDuration(input)).toBe(expected)
  })

  it.each(['', 'P', 'PT', '1M', 'PT1', 'P1DT', 'P10675199DT2H48M5.4775808S', 'PT-1S'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined()
  })
})

describe('paths', () => {
  it.each([
    ['/$namespaceinfo', { kind: 'namespaceInfo' }],
    ['/$Resources/Topics', { kind: 'listTopics' }],
    ['/$resources/queues/', { kind: 'listQueues' }],
    ['/orders', { kind: 'entity', name: 'orders' }],
    ['/marketplace/asset-published', { kind: 'entity', name: 'marketplace/asset-published' }],
    ['/t/Subscriptions/', { kind: 'listSubscriptions', topic: 't', subscriptionsSegment: 'Subscriptions' }],
    ['/a/b/subscriptions/s', { kind: 'subscription', topic: 'a/b', subscription: 's', subscriptionsSegment: 'subscriptions' }],
    ['/t/Subscriptions/s/Rules/', { kind: 'listRules', topic: 't', subscription: 's', subscriptionsSegment: 'Subscriptions', rulesSegment: 'Rules' }],
    ['/t/Subscriptions/s/Rules/$Default', { kind: 'rule', topic: 't', subscription: 's', rule: '$Default', subscriptionsSegment: 'Subscriptions', rulesSegment: 'Rules' }],
    ['/t/Subscriptions/s/x', undefined],
    ['/', undefined],
  ])('%s', (path, route) => {
    expect(parseServiceBusPath(path)).toEqual(route)
  })
})

describe('shared access signatures', () => {
  const credentials = { token: 'sandbox-token', keyName: 'RootManageSharedAccessKey', key: 'the-key' }
  const now = 1_800_000_000
  /** Signs like the SDK's SasServiceClientCredentials (§1.2). */
  const sign = (url: string, options: { key?: string; se?: number; skn?: string } = {}): string => {
    const sr = encodeURIComponent(url.toLowerCase()).toLowerCase()
    const se = options.se ?? now + 300
    const sig = encodeURIComponent(createHmac('sha256', options.key ?? credentials.key).update(`${sr}\n${se}`).digest('base64'))
    return `SharedAccessSignature sig=${sig}&se=${se}&skn=${options.skn ?? credentials.keyName}&sr=${sr}`
  }
  const url = 'https://127.0.0.1:5443/Orders?api-version=2021-05'

  it('accepts a valid signature for the resource and below it', () => {
    expect(authenticate(sign(url), credentials, '127.0.0.1:5443/Orders', now)).toBeUndefined()
    expect(authenticate(sign('https://127.0.0.1:5443/'), credentials, '127.0.0.1:5443/t/Subscriptions/s', now)).toBeUndefined()
    expect(normaliseResource('SB://Host:1/A/?x=1')).toBe('host:1/a')
  })

  it.each([
    ['a wrong key', () => sign(url, { key: 'other' }), 'InvalidSignature'],
    ['an expired token', () => sign(url, { se: now - 1 }), 'ExpiredToken'],
    ['another key name', () => sign(url, { skn: 'Send' }), 'InvalidSignature'],
    ['another resource', () => sign('https://127.0.0.1:5443/payments'), 'InvalidAudience'],
  ])('refuses %s', (_what, token, reason) => {
    const denied = authenticate(token(), credentials, '127.0.0.1:5443/Orders', now)
    expect(denied?.status).toBe(401)
    expect(denied?.message).toMatch(/^SubCode=40100/)
    expect(denied?.message).toContain(reason)
  })

  it('accepts exactly the sandbox token as a bearer', () => {
    expect(authenticate('Bearer sandbox-token', credentials, 'x', now)).toBeUndefined()
    expect(authenticate('Bearer sandbox-token2', credentials, 'x', now)?.status).toBe(401)
    expect(authenticate(undefined, credentials, 'x', now)?.message).toContain('MissingToken')
  })

  it('checks supplementary forwarding tokens (a namespace SAS or the raw access token)', () => {
    const audience = encodeURIComponent('127.0.0.1:5443')
    const se = now + 60
    const sig = encodeURIComponent(createHmac('sha256', credentials.key).update(`${audience}\n${se}`).digest('base64'))
    expect(verifySupplementary(`SharedAccessSignature sr=${audience}&sig=${sig}&se=${se}&skn=RootManageSharedAccessKey`, 'H', credentials, now)).toBeUndefined()
    expect(verifySupplementary('sandbox-token', 'H', credentials, now)).toBeUndefined()
    expect(verifySupplementary(undefined, 'H', credentials, now)?.status).toBe(401)
    expect(verifySas('garbage', credentials, undefined, now)?.status).toBe(401)
  })
})

function namespace(): ServiceBusNamespace {
  let keys = 0
  return new ServiceBusNamespace({ now: () => new Date('2026-01-01T00:00:00Z'), newKey: () => `key-${++keys}` })
}

const input = (fields: Record<string, string> = {}, extra: Partial<EntityInput> = {}): EntityInput => ({ fields, ...extra })

function thrown(call: () => unknown): ServiceBusError {
  try {
    call()
  } catch (error) {
    if (error instanceof ServiceBusError) return error
    throw error
  }
  throw new Error('expected a ServiceBusError')
}

describe('namespace model', () => {
  it('applies defaults and canonical durations, and reports a duplicate create as 409 SubCode=40900', () => {
    const ns = namespace()
    const queue = ns.putQueue('Orders', input({ LockDuration: 'PT30S', MaxDeliveryCount: '3' }), 'create').entity
    expect(queue.properties).toMatchObject({ LockDuration: 'PT30S', MaxDeliveryCount: 3, MaxSizeInMegabytes: 1024, RequiresSession: false, DefaultMessageTimeToLive: MAX_DURATION, Status: 'Active' })
    // Names are case-insensitive; the first spelling is kept.
    expect(thrown(() => ns.putQueue('orders', input(), 'create'))).toMatchObject({ status: 409 })
    expect(thrown(() => ns.putTopic('ORDERS', input(), 'create')).message).toMatch(/^SubCode=40900/)
    expect(ns.queue('ORDERS')?.name).toBe('Orders')
  })

  it('replaces everything on update, keeping counts and creation time, refusing immutable changes', () => {
    const ns = namespace()
    ns.putQueue('q', input({ RequiresSession: 'true', UserMetadata: 'm' }), 'create')
    ns.setCounts('q', { active: 5 })
    const updated = ns.putQueue('q', input({ RequiresSession: 'true', MaxDeliveryCount: '2' }), 'update').entity
    expect(updated.properties.UserMetadata).toBeUndefined()
    expect(updated.properties.MaxDeliveryCount).toBe(2)
    expect(updated.counts.active).toBe(5)
    expect(thrown(() => ns.putQueue('q', input(), 'update')).message).toContain("'RequiresSession' property of an existing Queue")
    expect(thrown(() => ns.putQueue('missing', input(), 'update')).status).toBe(404)
  })

  it.each([
    [{ LockDuration: 'PT6M' }, 'LockDuration'],
    [{ LockDuration: 'soon' }, 'ISO 8601'],
    [{ MaxDeliveryCount: '0' }, 'MaxDeliveryCount'],
    [{ MaxSizeInMegabytes: '1000' }, 'MaxSizeInMegabytes'],
    [{ AutoDeleteOnIdle: 'PT1M' }, 'AutoDeleteOnIdle'],
    [{ RequiresSession: 'yes' }, 'boolean'],
    [{ Status: 'Paused' }, 'Status'],
  ])('refuses %j', (fields, message) => {
    const error = thrown(() => namespace().putQueue('q', input(fields), 'create'))
    expect(error.status).toBe(400)
    expect(error.message).toContain(message)
  })

  it('refuses invalid names', () => {
    expect(thrown(() => namespace().putQueue('-bad', input(), 'create')).status).toBe(400)
    expect(thrown(() => namespace().putQueue('a//b', input(), 'create')).status).toBe(400)
    const ns = namespace()
    ns.putTopic('t', input(), 'create')
    expect(thrown(() => ns.putSubscription('t', 'a/b', input(), 'create')).status).toBe(400)
  })

  it('needs forwarding targets to exist and not be the entity itself', () => {
    const ns = namespace()
    expect(thrown(() => ns.putQueue('a', input({ ForwardTo: 'b' }), 'create')).message).toContain("target 'b' does not exist")
    ns.putQueue('b', input(), 'create')
    expect(ns.putQueue('a', input({ ForwardTo: 'sb://127.0.0.1:5443/b', ForwardDeadLetteredMessagesTo: '' }), 'create').entity.properties).toMatchObject({ ForwardTo: 'b' })
    expect(ns.queue('a')!.properties.ForwardDeadLetteredMessagesTo).toBeUndefined()
    expect(thrown(() => ns.putQueue('b', input({ ForwardTo: 'b' }), 'update')).message).toContain('cannot forward to itself')
    expect(forwardTargetName('https://ns.servicebus.windows.net/x/y/')).toBe('x/y')
  })

  it('gives a new subscription the $Default TrueFilter rule unless a default rule is given', () => {
    const ns = namespace()
    expect(thrown(() => ns.putSubscription('t', 's', input(), 'create'))).toMatchObject({ status: 404 })
    ns.putTopic('t', input(), 'create')
    ns.putSubscription('t', 's', input(), 'create')
    expect(ns.listRules('t', 's')).toEqual([{ name: '$Default', filter: { type: 'TrueFilter', sqlExpression: '1=1', parameters: [] }, action: { type: 'EmptyRuleAction' }, createdAt: '2026-01-01T00:00:00.000Z' }])
    ns.putSubscription('t', 'custom', input({}, { defaultRule: { name: 'mine', filter: { type: 'SqlFilter', sqlExpression: 'a = 1', parameters: [] }, action: { type: 'EmptyRuleAction' } } }), 'create')
    expect(ns.listRules('t', 'custom').map((r) => r.name)).toEqual(['mine'])
    // An update keeps the rules whatever DefaultRuleDescription says.
    ns.putSubscription('t', 's', input({}, { defaultRule: { name: 'other', filter: { type: 'SqlFilter', sqlExpression: '1=0', parameters: [] }, action: { type: 'EmptyRuleAction' } } }), 'update')
    expect(ns.listRules('t', 's').map((r) => r.name)).toEqual(['$Default'])
  })

  it('validates rules: filters, typed values, empty SQL actions', () => {
    const ns = namespace()
    ns.putTopic('t', input(), 'create')
    ns.putSubscription('t', 's', input(), 'create')
    const sql = (sqlExpression: string, parameters = [] as { key: string; type: string; value: string }[]) => ({ filter: { type: 'SqlFilter' as const, sqlExpression, parameters }, action: { type: 'EmptyRuleAction' as const } })
    expect(thrown(() => ns.putRule('t', 's', 'r', sql(' '), 'create')).message).toContain('empty SqlExpression')
    expect(thrown(() => ns.putRule('t', 's', 'r', sql('a = @a', [{ key: '@a', type: 'int', value: 'x' }]), 'create')).message).toContain('not a valid int')
    expect(thrown(() => ns.putRule('t', 's', 'r', sql('a = @a', [{ key: '@a', type: 'duration', value: 'PT1S' }]), 'create')).message).toContain('unsupported type')
    expect(thrown(() => ns.putRule('t', 's', 'r', { filter: { type: 'CorrelationFilter', fields: {}, properties: [] }, action: { type: 'EmptyRuleAction' } }, 'create')).message).toContain('at least one')
    const rule = ns.putRule('t', 's', 'r', { ...sql('a = 1'), action: { type: 'SqlRuleAction', sqlExpression: '', parameters: [] } }, 'create').entity
    expect(rule.action).toEqual({ type: 'EmptyRuleAction' })
    expect(thrown(() => ns.putRule('t', 's', 'r', sql('a = 1'), 'create')).status).toBe(409)
  })

  it('deletes topics with their subscriptions, and answers 404 for what is not there', () => {
    const ns = namespace()
    ns.putTopic('t', input(), 'create')
    ns.putSubscription('t', 's', input(), 'create')
    ns.deleteEntity('T')
    expect(ns.topic('t')).toBeUndefined()
    expect(thrown(() => ns.deleteEntity('t')).message).toBe('No service is hosted at the specified address.')
    expect(thrown(() => ns.deleteSubscription('t', 's')).status).toBe(404)
    expect(thrown(() => ns.listSubscriptions('t')).status).toBe(404)
  })

  it('sets counts by queue, topic or topic/Subscriptions/sub', () => {
    const ns = namespace()
    ns.putTopic('a/b', input(), 'create')
    ns.putSubscription('a/b', 's', input(), 'create')
    expect(ns.setCounts('a/b/subscriptions/S', { deadLetter: 4 })).toMatchObject({ kind: 'subscription' })
    expect(ns.subscription('a/b', 's')!.counts).toEqual({ active: 0, deadLetter: 4, scheduled: 0, transfer: 0, transferDeadLetter: 0 })
    expect(ns.setCounts('a/b', { scheduled: 2, sizeInBytes: 10 }).entity).toMatchObject({ sizeInBytes: 10, counts: { scheduled: 2 } })
    expect(thrown(() => ns.setCounts('nope', { active: 1 })).status).toBe(404)
  })

  it('round-trips through its snapshot', () => {
    const ns = namespace()
    ns.putQueue('q', input({}, { authorizationRules: [{ rights: ['Listen', 'Send'], keyName: 'app' }] }), 'create')
    ns.putTopic('t', input(), 'create')
    ns.putSubscription('t', 's', input({ MaxDeliveryCount: '4' }), 'create')
    ns.setCounts('t/Subscriptions/s', { active: 9 })
    const snapshot = JSON.parse(JSON.stringify(ns.snapshot())) as ReturnType<ServiceBusNamespace['snapshot']>
    const restored = new ServiceBusNamespace({ now: () => new Date(), newKey: () => 'k' }, snapshot)
    expect(restored.snapshot()).toEqual(ns.snapshot())
    expect(restored.queue('q')!.authorizationRules[0]).toMatchObject({ keyName: 'app', primaryKey: 'key-1', secondaryKey: 'key-2', rights: ['Listen', 'Send'] })
    expect(restored.subscription('t', 's')!.counts.active).toBe(9)
  })
})

describe('faults and persistence', () => {
  it('answers throttling with Retry-After (1 s unless the rule says otherwise)', () => {
    expect(faultError({ status: 429 })).toMatchObject({ status: 429, retryAfterSeconds: 1 })
    expect(faultError({ status: 503, retryAfter: 4 })).toMatchObject({ status: 503, retryAfterSeconds: 4 })
    expect(faultError({ status: 500 })).toMatchObject({ status: 500, retryAfterSeconds: undefined })
    expect(faultError({ latencyMs: 5 })).toBeUndefined()
  })

  it('coalesces concurrent flushes and writes the latest state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mkt-sb-unit-'))
    try {
      const ns = namespace()
      let snapshots = 0
      const writer = new SnapshotWriter(join(dir, 'servicebus.json'), () => {
        snapshots++
        return ns.snapshot()
      })
      const flushes: Promise<void>[] = []
      for (let i = 0; i < 20; i++) {
        ns.putQueue(`q${i}`, input(), 'create')
        flushes.push(writer.flush())
      }
      await Promise.all(flushes)
      expect(snapshots).toBeLessThanOrEqual(2)
      const written = JSON.parse(await readFile(join(dir, 'servicebus.json'), 'utf8')) as { queues: unknown[] }
      expect(written.queues).toHaveLength(20)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('XSI constant', () => {
  it('matches what the SDK declares', () => {
    expect(attributeOf(parseXml(`<a xmlns:p4="${XSI}" p4:type="SqlFilter"/>`), 'type', XSI)).toBe('SqlFilter')
  })
})
