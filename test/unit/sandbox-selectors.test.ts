// Label and field selector parsing and matching, and API path routing.
import { describe, expect, it } from 'vitest'
import { StatusError } from '../../src/sandbox/errors.js'
import { parseApiPath } from '../../src/sandbox/kube/routes.js'
import { compileSelector, formatLabelSelector, matchesLabelRequirements, matchesSelector, parseLabelSelector } from '../../src/sandbox/selectors.js'
import type { KubeObject } from '../../src/sandbox/types.js'

const matches = (selector: string, labels: Record<string, string>): boolean => matchesLabelRequirements(parseLabelSelector(selector), labels)

describe('label selectors', () => {
  it('parses every operator', () => {
    expect(parseLabelSelector('a=b, c==d,e!=f, g in (h, i),j notin (k),l,!m')).toEqual([
      { key: 'a', operator: '=', values: ['b'] },
      { key: 'c', operator: '=', values: ['d'] },
      { key: 'e', operator: '!=', values: ['f'] },
      { key: 'g', operator: 'in', values: ['h', 'i'] },
      { key: 'j', operator: 'notin', values: ['k'] },
      { key: 'l', operator: 'exists', values: [] },
      { key: 'm', operator: '!exists', values: [] },
    ])
    expect(parseLabelSelector('app.kubernetes.io/name=web')[0]!.key).toBe('app.kubernetes.io/name')
    expect(parseLabelSelector('')).toEqual([])
    expect(parseLabelSelector('a=')).toEqual([{ key: 'a', operator: '=', values: [''] }])
  })

  it('matches like the apiserver (!= and notin match absent keys)', () => {
    const labels = { app: 'web', tier: 'front' }
    expect(matches('app=web', labels)).toBe(true)
    expect(matches('app=db', labels)).toBe(false)
    expect(matches('app!=db', labels)).toBe(true)
    expect(matches('missing!=x', labels)).toBe(true)
    expect(matches('tier in (front,back)', labels)).toBe(true)
    expect(matches('tier notin (front)', labels)).toBe(false)
    expect(matches('missing notin (x)', labels)).toBe(true)
    expect(matches('tier', labels)).toBe(true)
    expect(matches('!tier', labels)).toBe(false)
    expect(matches('app=web,tier=back', labels)).toBe(false)
  })

  it('rejects malformed selectors with 400', () => {
    for (const bad of ['a in (b', '=b', 'a b', 'a in b', 'bad key=x']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(StatusError)
      try {
        parseLabelSelector(bad)
      } catch (error) {
        expect((error as StatusError).code).toBe(400)
      }
    }
  })

  it('formats structured selectors the way kubectl prints them', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x'] }, { key: 'd', operator: 'DoesNotExist' }] })).toBe('a=1,b=2,c in (x,y),!d')
  })
})

describe('field selectors', () => {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } }
  const event: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Deployment', name: 'web', uid: 'u1' }, source: { component: 'deployment-controller' } }

  it('supports metadata fields everywhere, pod and event fields where the apiserver does', () => {
    expect(matchesSelector(compileSelector('pods', { fieldSelector: 'metadata.name=p,metadata.namespace=ns' }), pod)).toBe(true)
    expect(matchesSelector(compileSelector('pods', { fieldSelector: 'spec.nodeName=n1,status.phase!=Pending' }), pod)).toBe(true)
    expect(matchesSelector(compileSelector('pods', { fieldSelector: 'status.phase==Pending' }), pod)).toBe(false)
    expect(matchesSelector(compileSelector('events', { fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web,involvedObject.uid=u1,source=deployment-controller' }), event)).toBe(true)
    expect(() => compileSelector('configmaps', { fieldSelector: 'spec.nodeName=x' })).toThrow('field label not supported: spec.nodeName')
  })
})

describe('API paths', () => {
  it('routes discovery, namespaced and cluster resources, subresources and proxies', () => {
    expect(parseApiPath('/api')).toEqual({ kind: 'versions' })
    expect(parseApiPath('/apis/apps')).toEqual({ kind: 'group', group: 'apps' })
    expect(parseApiPath('/apis/apps/v1')).toEqual({ kind: 'resources', group: 'apps', version: 'v1' })
    expect(parseApiPath('/apis/apps/v1/namespaces/ns/deployments/web/scale')).toMatchObject({ kind: 'resource', namespace: 'ns', name: 'web', subresource: 'scale' })
    expect(parseApiPath('/api/v1/namespaces/ns')).toMatchObject({ kind: 'resource', name: 'ns' })
    expect((parseApiPath('/api/v1/namespaces/ns') as { namespace?: string }).namespace).toBeUndefined()
    expect(parseApiPath('/api/v1/namespaces/ns/status')).toMatchObject({ name: 'ns', subresource: 'status' })
    expect(parseApiPath('/api/v1/watch/namespaces/ns/pods')).toMatchObject({ watchPrefix: true, namespace: 'ns' })
    expect(parseApiPath('/api/v1/namespaces/ns/services/svc%3A8080/proxy/healthz%2Fready')).toMatchObject({ name: 'svc:8080', subresource: 'proxy', subpath: 'healthz/ready' })
    expect(parseApiPath('/api/v1/namespaces/ns/services/web:80/proxy/a/b/')).toMatchObject({ name: 'web:80', subpath: 'a/b/' })
    expect(parseApiPath('/apis/apps/v1/namespaces/ns/statefulsets')).toBeUndefined()
    expect(parseApiPath('/api/v1/namespaces/ns/configmaps/x/status')).toBeUndefined()
    expect(parseApiPath('/api/v1/namespaces/ns/namespaces')).toBeUndefined()
  })
})
