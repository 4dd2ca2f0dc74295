import { describe, expect, it } from 'vitest'
import type { Job, Service } from '../../src/sandbox/controllers/api.js'
import { endpointSubsets, findPort } from '../../src/sandbox/controllers/endpoints.js'
import { jobPod, planJob } from '../../src/sandbox/controllers/job.js'
import { pod, T0 } from './sandbox-controllers-fixtures.js'

const service = (ports: Service['spec']['ports'], publishNotReadyAddresses = false): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports, publishNotReadyAddresses },
})

describe('Endpoints controller', () => {
  const ports = [{ name: 'http', containerPort: 8080 }]

  it('resolves numeric and named targetPorts against the pod', () => {
    const p = pod({ name: 'a', ports })
    expect(findPort(p, { port: 80, targetPort: 'http' })).toBe(8080)
    expect(findPort(p, { port: 80, targetPort: 9090 })).toBe(9090)
    expect(findPort(p, { port: 80 })).toBe(80)
    expect(findPort(p, { port: 80, targetPort: 'grpc' })).toBeUndefined()
  })

  it('lists ready pods under addresses and the others under notReadyAddresses, sorted by IP, ports named like the service', () => {
    const pods = [
      pod({ name: 'b', ready: true, ip: '10.244.0.10', ports }),
      pod({ name: 'a', ready: true, ip: '10.244.0.9', ports }),
      pod({ name: 'c', ready: false, ip: '10.244.0.11', ports }),
      pod({ name: 'no-ip', ready: false, ports }),
      pod({ name: 'done', phase: 'Succeeded', ip: '10.244.0.12', ports }),
      pod({ name: 'terminating', ready: true, ip: '10.244.0.13', ports, deleting: true }),
    ]
    const subsets = endpointSubsets(service([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]), pods)
    expect(subsets).toEqual([
      {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        addresses: [
          { ip: '10.244.0.9', nodeName: 'sandbox-node-0', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } },
          { ip: '10.244.0.10', nodeName: 'sandbox-node-0', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } },
        ],
        notReadyAddresses: [{ ip: '10.244.0.11', nodeName: 'sandbox-node-0', targetRef: { kind: 'Pod', namespace: 'default', name: 'c', uid: 'uid-c' } }],
      },
    ])
  })

  it('leaves out pods that do not declare a named port, and publishes not-ready pods when asked', () => {
    const withPort = pod({ name: 'a', ready: false, ip: '10.244.0.2', ports })
    const without = pod({ name: 'b', ready: true, ip: '10.244.0.3' })
    const subsets = endpointSubsets(service([{ name: 'http', port: 80, targetPort: 'http' }], true), [withPort, without])
    expect(subsets).toHaveLength(1)
    expect(subsets[0].addresses?.map((a) => a.ip)).toEqual(['10.244.0.2'])
    expect(subsets[0].notReadyAddresses).toBeUndefined()
    expect(endpointSubsets(service([{ name: 'http', port: 80, targetPort: 'http' }]), [])).toEqual([])
  })
})

function job(spec: Partial<Job['spec']> = {}, status: Job['status'] = undefined): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'default', uid: 'job-uid' },
    spec: { completions: 1, parallelism: 1, backoffLimit: 2, template: { metadata: { labels: { app: 'migrate' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'm:1' }] } }, ...spec },
    status,
  }
}

describe('Job controller', () => {
  const now = T0 + 1000

  it('starts one pod with job-name / controller-uid labels and records startTime', () => {
    const plan = planJob(job(), [], now)
    expect(plan.create).toBe(1)
    expect(plan.status).toEqual({ startTime: '2026-01-01T00:00:01Z', active: 1 })
    const p = jobPod(job())
    expect(p.metadata.generateName).toBe('migrate-')
    expect(p.metadata.labels).toMatchObject({ app: 'migrate', 'job-name': 'migrate', 'controller-uid': 'job-uid', 'batch.kubernetes.io/job-name': 'migrate' })
    expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'migrate', controller: true })
  })

  it('completes when completions pods succeeded', () => {
    const plan = planJob(job({}, { startTime: '2026-01-01T00:00:00Z', active: 1 }), [pod({ name: 'm-1', phase: 'Succeeded' })], now)
    expect(plan.create).toBe(0)
    expect(plan.status).toMatchObject({ succeeded: 1, completionTime: '2026-01-01T00:00:01Z' })
    expect(plan.status.active).toBeUndefined()
    expect(plan.status.conditions).toEqual([{ type: 'Complete', status: 'True', lastProbeTime: '2026-01-01T00:00:01Z', lastTransitionTime: '2026-01-01T00:00:01Z', reason: 'CompletionsReached', message: 'Reached expected number of completions' }])
  })

  it('replaces failed pods until failures pass backoffLimit, then fails with BackoffLimitExceeded', () => {
    const two = [pod({ name: 'm-1', phase: 'Failed' }), pod({ name: 'm-2', phase: 'Failed' })]
    const retry = planJob(job(), two, now)
    expect(retry.create).toBe(1)
    expect(retry.status).toMatchObject({ failed: 2, active: 1 })
    const three = [...two, pod({ name: 'm-3', phase: 'Failed' })]
    const failed = planJob(job(), three, now)
    expect(failed.create).toBe(0)
    expect(failed.status.failed).toBe(3)
    expect(failed.status.completionTime).toBeUndefined()
    expect(failed.status.conditions?.[0]).toMatchObject({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' })
  })

  it('counts container restarts against backoffLimit with restartPolicy OnFailure', () => {
    const onFailure = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'm' }] } } })
    const plan = planJob(onFailure, [pod({ name: 'm-1', restarts: 2 })], now)
    expect(plan.delete.map((p) => p.metadata.name)).toEqual(['m-1'])
    expect(plan.status.conditions?.[0].reason).toBe('BackoffLimitExceeded')
  })

  it('fails with DeadlineExceeded past activeDeadlineSeconds', () => {
    const plan = planJob(job({ activeDeadlineSeconds: 5 }, { startTime: '2026-01-01T00:00:00Z' }), [pod({ name: 'm-1' })], T0 + 5000)
    expect(plan.status.conditions?.[0]).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' })
    expect(plan.delete).toHaveLength(1)
  })

  it('runs up to parallelism pods, never more than the completions left', () => {
    expect(planJob(job({ completions: 5, parallelism: 2 }), [], now).create).toBe(2)
    const fourDone = Array.from({ length: 4 }, (_, i) => pod({ name: `m-${i}`, phase: 'Succeeded' }))
    expect(planJob(job({ completions: 5, parallelism: 2 }), fourDone, now).create).toBe(1)
  })
})
