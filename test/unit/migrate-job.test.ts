// The migration Job as pure functions: the template check, rendering, outcome, status summary, pruning, log lines.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { V1Job, V1Pod } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { checkJobTemplate, jobOutcome, jobsToPrune, migrationJobName, podToFollow, renderMigrationJob, splitLines, summarizeMigrationJob } from '../../src/migrate/job.js'
import { errorOf } from '../helpers/errors.js'

const root = join(__dirname, '..', '..')
const builtIn = () => parse(readFileSync(join(root, 'templates', 'migration-job.yaml'), 'utf8')) as V1Job
const values = { name: 'mkt-migration-20260102-150405-abcd', namespace: 'marketplace', environment: 'prod', image: 'acr.io/migrations:2.0.0', runBy: 'alice@laptop', startedAt: '2026-01-02T15:04:05.000Z', timeoutSeconds: 90.5, reason: 'PRJ-42' }

const job = (status: V1Job['status'], annotations: Record<string, string> = {}, name = 'mkt-migration-x'): V1Job => ({
  ...renderMigrationJob(checkJobTemplate(builtIn(), 't'), { ...values, name }),
  metadata: { name, annotations: { 'mkt.dev/image': 'm:1', 'mkt.dev/run-by': 'bob@ci', ...annotations } },
  status,
})

describe('the Job template', () => {
  it('the built-in template reads its connection string from a Secret and passes the check', () => {
    const template = checkJobTemplate(builtIn(), 'templates/migration-job.yaml')
    const env = template.spec!.template.spec!.containers[0]!.env!
    expect(env.every((e) => e.value === undefined)).toBe(true)
    expect(env[0]!.valueFrom!.secretKeyRef).toEqual({ name: 'marketplace-database', key: 'connection-string' })
    expect(template.spec!.backoffLimit).toBe(0)
  })

  it('refuses a literal connection string, a container without a Secret, and anything but a batch/v1 Job (65)', () => {
    const literal = builtIn()
    literal.spec!.template.spec!.containers[0]!.env = [{ name: 'ConnectionStrings__Database', value: 'Host=db;Username=app;Password=hunter22' }]
    const error = errorOf(() => checkJobTemplate(literal, 'job.yaml'))
    expect(error.exitCode).toBe(65)
    expect(error.message).toContain('env ConnectionStrings__Database of container migrations holds a literal connection string')
    const url = builtIn()
    url.spec!.template.spec!.containers[0]!.env = [{ name: 'DATABASE_URL', value: 'postgresql://app:hunter22@db/x' }]
    expect(errorOf(() => checkJobTemplate(url, 'job.yaml')).exitCode).toBe(65)
    const none = builtIn()
    none.spec!.template.spec!.containers[0]!.env = [{ name: 'LOG_LEVEL', value: 'debug' }]
    expect(errorOf(() => checkJobTemplate(none, 'job.yaml')).message).toContain('gets no connection string from a Secret')
    expect(errorOf(() => checkJobTemplate({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'job.yaml')).message).toContain('expected a batch/v1 Job')
  })

  it('renders name, namespace, labels, who/when/image/reason annotations, the image and the deadline, leaving the template alone', () => {
    const template = checkJobTemplate(builtIn(), 't')
    const rendered = renderMigrationJob(template, values)
    expect(rendered.metadata).toMatchObject({ name: values.name, namespace: 'marketplace' })
    expect(rendered.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'mkt', 'mkt.dev/migration': 'true', 'mkt.dev/environment': 'prod' })
    expect(rendered.metadata!.annotations).toEqual({ 'mkt.dev/run-by': 'alice@laptop', 'mkt.dev/started-at': values.startedAt, 'mkt.dev/image': values.image, 'mkt.dev/reason': 'PRJ-42' })
    expect(rendered.spec!.template.metadata!.labels).toMatchObject({ 'mkt.dev/migration': 'true' })
    expect(rendered.spec!.template.spec!.containers[0]!.image).toBe(values.image)
    expect(rendered.spec!.activeDeadlineSeconds).toBe(91)
    expect(template.spec!.template.spec!.containers[0]!.image).toBe('marketplace-migrations:latest')
  })

  it('names Jobs sortably and validly', () => {
    const name = migrationJobName(new Date('2026-01-02T15:04:05.678Z'), 'X7k2zz')
    expect(name).toBe('mkt-migration-20260102-150405-x7k2')
    expect(name.length).toBeLessThanOrEqual(63)
  })
})

describe('the outcome', () => {
  it('reads Complete, Failed and DeadlineExceeded', () => {
    expect(jobOutcome(job({ conditions: [{ type: 'Complete', status: 'True' }], completionTime: new Date('2026-01-02T15:05:00Z') }))).toEqual({ result: 'succeeded', reason: 'completed', finishedAt: '2026-01-02T15:05:00.000Z' })
    expect(jobOutcome(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] })).result).toBe('failed')
    expect(jobOutcome(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] })).result).toBe('timed-out')
    expect(jobOutcome(job({ active: 1 })).result).toBe('running')
    expect(jobOutcome(job({})).result).toBe('pending')
  })

  it('summarises for status: image, started, duration, result, who, why', () => {
    const finished = job({ startTime: new Date('2026-01-02T15:04:05Z'), completionTime: new Date('2026-01-02T15:04:35Z'), conditions: [{ type: 'Complete', status: 'True' }] }, { 'mkt.dev/reason': 'PRJ-1' })
    expect(summarizeMigrationJob(finished, Date.now())).toEqual({
      name: 'mkt-migration-x',
      image: 'm:1',
      startedAt: '2026-01-02T15:04:05.000Z',
      finishedAt: '2026-01-02T15:04:35.000Z',
      durationMs: 30_000,
      result: 'succeeded',
      reason: 'completed',
      runBy: 'bob@ci',
      why: 'PRJ-1',
    })
    const running = job({ startTime: new Date('2026-01-02T15:04:05Z'), active: 1 })
    expect(summarizeMigrationJob(running, Date.parse('2026-01-02T15:04:15Z')).durationMs).toBe(10_000)
  })

  it('prunes the oldest finished Jobs beyond the limit, never a running one', () => {
    const at = (minute: number, status: V1Job['status']) => job({ startTime: new Date(Date.UTC(2026, 0, 1, 0, minute)), ...status }, {}, `job-${minute}`)
    const done = { conditions: [{ type: 'Complete', status: 'True' }] }
    const jobs = [at(1, done), at(2, { active: 1 }), at(3, done), at(4, done)]
    expect(jobsToPrune(jobs, 2)).toEqual(['job-1'])
    expect(jobsToPrune(jobs, 5)).toEqual([])
  })
})

describe('logs', () => {
  it('follows the newest pod whose container has started', () => {
    const pod = (name: string, created: string, state: object): V1Pod => ({ metadata: { name, creationTimestamp: new Date(created) }, status: { containerStatuses: [{ name: 'migrations', state, ready: false, restartCount: 0, image: 'i', imageID: '' }] } })
    const pods = [pod('a', '2026-01-01T00:00:00Z', { terminated: { exitCode: 1 } }), pod('b', '2026-01-01T00:01:00Z', { running: {} }), pod('c', '2026-01-01T00:02:00Z', { waiting: { reason: 'ContainerCreating' } })]
    expect(podToFollow(pods, 'migrations')?.metadata?.name).toBe('b')
    expect(podToFollow([pods[2]!], 'migrations')).toBeUndefined()
  })

  it('splits streamed chunks into lines, keeping a partial line for the next chunk', () => {
    expect(splitLines('', 'one\ntw')).toEqual({ lines: ['one'], rest: 'tw' })
    expect(splitLines('tw', 'o\r\nthree\n')).toEqual({ lines: ['two', 'three'], rest: '' })
  })
})
