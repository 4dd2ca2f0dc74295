// JSON Patch, JSON Merge Patch, strategic merge patch directives and the server-side apply field sets.
import { describe, expect, it } from 'vitest'
import { StatusError } from '../../src/sandbox/errors.js'
import { changedSubset, fieldSetOf, leafPaths, serverSideApply } from '../../src/sandbox/kube/managed-fields.js'
import { mergeSchemaFor } from '../../src/sandbox/kube/merge-schema.js'
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, decodeJsonPatch } from '../../src/sandbox/kube/patch.js'
import type { KubeObject } from '../../src/sandbox/types.js'

const deploymentSchema = mergeSchemaFor('Deployment')

function codeOf(call: () => unknown): number {
  try {
    call()
  } catch (error) {
    if (error instanceof StatusError) return error.code
    throw error
  }
  return 0
}

describe('JSON Patch (RFC 6902)', () => {
  const doc = { a: { b: 1, 'x/y': 2, 'm~n': 3 }, list: [1, 2, 3] }
  const apply = (ops: unknown[]): unknown => applyJsonPatch(doc, decodeJsonPatch(ops))

  it('implements add, remove, replace, move, copy and test with pointer escapes', () => {
    expect(apply([{ op: 'add', path: '/a/c', value: 4 }])).toMatchObject({ a: { c: 4 } })
    expect(apply([{ op: 'add', path: '/list/1', value: 9 }])).toMatchObject({ list: [1, 9, 2, 3] })
    expect(apply([{ op: 'add', path: '/list/-', value: 9 }])).toMatchObject({ list: [1, 2, 3, 9] })
    expect(apply([{ op: 'remove', path: '/a/x~1y' }, { op: 'remove', path: '/a/m~0n' }])).toEqual({ a: { b: 1 }, list: [1, 2, 3] })
    expect(apply([{ op: 'replace', path: '/list/0', value: 0 }])).toMatchObject({ list: [0, 2, 3] })
    expect(apply([{ op: 'move', from: '/a/b', path: '/moved' }])).toMatchObject({ moved: 1, a: { 'x/y': 2 } })
    expect(apply([{ op: 'copy', from: '/list', path: '/copy' }])).toMatchObject({ copy: [1, 2, 3], list: [1, 2, 3] })
    expect(apply([{ op: 'test', path: '/a/b', value: 1 }])).toEqual(doc)
    expect(apply([{ op: 'replace', path: '', value: { whole: true } }])).toEqual({ whole: true })
    expect(doc).toEqual({ a: { b: 1, 'x/y': 2, 'm~n': 3 }, list: [1, 2, 3] })
  })

  it('fails with 422 when an operation does not apply and 400 when the body is not a patch', () => {
    expect(codeOf(() => apply([{ op: 'test', path: '/a/b', value: 2 }]))).toBe(422)
    expect(codeOf(() => apply([{ op: 'replace', path: '/nope', value: 2 }]))).toBe(422)
    expect(codeOf(() => apply([{ op: 'remove', path: '/list/7' }]))).toBe(422)
    expect(codeOf(() => apply([{ op: 'move', from: '/a', path: '/a/b' }]))).toBe(422)
    expect(codeOf(() => decodeJsonPatch({ op: 'add' }))).toBe(400)
  })
})

describe('JSON Merge Patch (RFC 7386)', () => {
  it('merges objects, deletes on null, replaces arrays and scalars', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' }, l: [1, 2] }, { a: 'z', c: { f: null }, l: [3] })).toEqual({ a: 'z', c: { d: 'e' }, l: [3] })
    expect(applyMergePatch({ a: 1 }, { b: { c: null } })).toEqual({ a: 1, b: {} })
  })
})

describe('strategic merge patch', () => {
  const live = {
    metadata: { labels: { app: 'web', old: 'x' }, finalizers: ['a'] },
    spec: {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
            { name: 'side', image: 'envoy:1', args: ['--a'] },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      },
    },
  }

  it('merges keyed lists by their merge key and replaces atomic lists', () => {
    const result = applyStrategicMergePatch(live, {
      metadata: { labels: { old: null, added: 'y' } },
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }, { name: 'new', image: 'n:1' }, { name: 'side', args: ['--b'] }] } } },
    }, deploymentSchema)
    expect(result.metadata).toEqual({ labels: { app: 'web', added: 'y' }, finalizers: ['a'] })
    const containers = (result.spec as { template: { spec: { containers: { name: string; image?: string; env?: unknown[]; args?: string[]; ports?: unknown[] }[] } } }).template.spec.containers
    expect(containers.map((c) => c.name)).toEqual(['web', 'side', 'new'])
    expect(containers[0]).toMatchObject({ image: 'nginx:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] })
    expect(containers[1]!.args).toEqual(['--b'])
  })

  it('honours $patch delete/replace, $retainKeys, $setElementOrder and $deleteFromPrimitiveList', () => {
    const result = applyStrategicMergePatch(live, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['b'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
            containers: [{ name: 'web', $patch: 'delete' }],
            volumes: [{ $patch: 'replace' }, { name: 'w', configMap: { name: 'c' } }],
          },
        },
      },
    }, deploymentSchema) as typeof live
    expect(result.metadata.finalizers).toEqual(['b'])
    expect(result.spec.strategy).toEqual({ type: 'Recreate' })
    expect(result.spec.template.spec.containers.map((c) => c.name)).toEqual(['side'])
    expect(result.spec.template.spec.volumes).toEqual([{ name: 'w', configMap: { name: 'c' } }])
    const replacedMap = applyStrategicMergePatch(live, { metadata: { labels: { $patch: 'replace', only: 'this' } } }, deploymentSchema) as typeof live
    expect(replacedMap.metadata.labels).toEqual({ only: 'this' })
    const ordered = applyStrategicMergePatch(live, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }] } } } }, deploymentSchema) as typeof live
    expect(ordered.spec.template.spec.containers.map((c) => c.name)).toEqual(['side', 'web'])
  })

  it('requires the merge key in keyed list items', () => {
    expect(codeOf(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, deploymentSchema))).toBe(400)
  })
})

describe('server-side apply field sets', () => {
  const applied: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' }, finalizers: ['f'] },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
  }

  it('describes owned fields in FieldsV1 form', () => {
    expect(fieldSetOf(applied, deploymentSchema)).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:finalizers': { 'v:"f"': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } } },
    })
    expect(leafPaths({ 'f:a': { 'f:b': {} }, 'f:c': {} })).toEqual([['f:a', 'f:b'], ['f:c']])
  })

  it('removes what a manager stopped applying, unless another manager owns it', () => {
    const first = serverSideApply(undefined, applied, 'mkt', deploymentSchema, '2026-01-01T00:00:00Z')
    const withOther = { ...first, metadata: { ...first.metadata, labels: { ...first.metadata.labels, team: 't' }, managedFields: [...(first.metadata.managedFields as unknown[]), { manager: 'other', operation: 'Update', apiVersion: 'apps/v1', time: 'x', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } }] } }
    const second = serverSideApply(withOther, { ...applied, metadata: { name: 'web', namespace: 'ns' }, spec: { template: applied.spec!.template } }, 'mkt', deploymentSchema, '2026-01-01T00:01:00Z')
    expect(second.metadata.labels).toEqual({ team: 't' })
    expect(second.metadata.finalizers).toBeUndefined()
    expect(second.spec!.replicas).toBeUndefined()
    expect((second.metadata.managedFields as { manager: string }[]).map((m) => m.manager).sort()).toEqual(['mkt', 'other'])
  })

  it('finds the changed subset of an object, keeping merge keys', () => {
    const before = { spec: { a: 1, list: [{ name: 'x', v: 1 }, { name: 'y', v: 1 }] } }
    const after = { spec: { a: 1, list: [{ name: 'x', v: 2 }, { name: 'y', v: 1 }] } }
    expect(changedSubset(before, after, { fields: { spec: { fields: { list: { mergeKey: 'name' } } } } })).toEqual({ spec: { list: [{ name: 'x', v: 2 }] } })
  })
})
