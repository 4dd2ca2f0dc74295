// Release history read from the Deployment's ReplicaSets (the same source as `kubectl rollout history`), with
// mkt's audit annotations, and the choice of a rollback target.
//
// A release record (author, time, reason, provenance, verdict) belongs to one pod template: it counts for a
// ReplicaSet only when its `mkt.dev/pod-template-hash` equals the ReplicaSet's own `pod-template-hash` label.
// The Deployment controller copies the Deployment's annotations onto every new ReplicaSet, so a revision made by
// kubectl, Helm or anything else carries a copy of the previous release's record naming the previous template:
// that revision is `external` (unverified), shown with its own change-cause only.
//
// Which revision is "last good": the newest revision whose own record says `passed`. An external revision, or
// one whose mkt died before a verdict, is never chosen by default — the operator names it with --to-revision.
//
// Revision numbers follow the controller: a rollback re-adopts the old ReplicaSet and renumbers it to max+1,
// recording the old number in `deployment.kubernetes.io/revision-history`. Numbers are never reused, so
// `kubectl rollout undo --to-revision N` and `mkt rollback --to-revision N` mean the same ReplicaSet.

import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node'
import {
  CHANGE_CAUSE_ANNOTATION,
  MKT_ANNOTATIONS,
  type RevisionVerdict,
  REVISION_HISTORY_ANNOTATION,
  annotationOf,
  isVerdict,
  isoOf,
  nameOf,
  revisionOf,
  timeOf,
} from './objects.js'
import { controlledReplicaSets, newReplicaSet, podTemplateHashOf } from './status.js'

export interface ReleaseEntry {
  revision: number
  replicaSet: string
  /** The image of the chosen container (options.container, else the first container). */
  image?: string
  images: Array<{ container: string; image: string }>
  createdAt?: string
  changeCause?: string
  deployedBy?: string
  deployedAt?: string
  reason?: string
  gitSha?: string
  runUrl?: string
  /** mkt's verdict on this template, or `external` when no mkt record belongs to it. */
  verdict: RevisionVerdict
  verdictReason?: string
  /** This ReplicaSet is the Deployment's new one: its template is what the Deployment asks for. */
  current: boolean
  /** Numbers this ReplicaSet had before rollbacks renumbered it (revision-history annotation). */
  formerRevisions: number[]
  /** Pods it runs now (status.replicas). */
  replicas: number
}

/** Revisions ascending, one per controlled ReplicaSet with a revision (kubectl skips those without). */
export function releaseHistory(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[], options: { container?: string } = {}): ReleaseEntry[] {
  const current = newReplicaSet(deployment, replicaSets)
  const byRevision = new Map<number, V1ReplicaSet>()
  for (const rs of controlledReplicaSets(deployment, replicaSets)) {
    const revision = revisionOf(rs)
    if (revision <= 0) continue
    // Two ReplicaSets never share a revision in a healthy cluster; if they do, the newer one wins.
    const seen = byRevision.get(revision)
    if (seen === undefined || (timeOf(rs.metadata?.creationTimestamp) ?? 0) >= (timeOf(seen.metadata?.creationTimestamp) ?? 0)) {
      byRevision.set(revision, rs)
    }
  }
  return [...byRevision.entries()]
    .sort(([a], [b]) => a - b)
    .map(([revision, rs]) => entryOf(revision, rs, rs === current, options.container, replicaSets))
}

/** The record on a ReplicaSet is its own: written for its template (see the top of this file). */
export function hasOwnRecord(rs: V1ReplicaSet): boolean {
  const hash = podTemplateHashOf(rs)
  return hash !== undefined && annotationOf(rs.metadata, MKT_ANNOTATIONS.templateHash) === hash
}

/**
 * The change-cause of a revision without its own record, unless it is the copy of the release it was made from
 * (the ReplicaSet its copied record names, or any mkt release when that one is gone): then it has none of its own.
 */
export function ownChangeCause(rs: V1ReplicaSet, all: readonly V1ReplicaSet[]): string | undefined {
  const cause = annotationOf(rs.metadata, CHANGE_CAUSE_ANNOTATION)
  const copiedFrom = annotationOf(rs.metadata, MKT_ANNOTATIONS.templateHash)
  if (cause === undefined || copiedFrom === undefined || copiedFrom === podTemplateHashOf(rs)) return cause
  const source = all.find((other) => other !== rs && podTemplateHashOf(other) === copiedFrom)
  return source === undefined || annotationOf(source.metadata, CHANGE_CAUSE_ANNOTATION) === cause ? undefined : cause
}

function entryOf(revision: number, rs: V1ReplicaSet, current: boolean, container: string | undefined, all: readonly V1ReplicaSet[]): ReleaseEntry {
  const meta = rs.metadata
  const images = (rs.spec?.template?.spec?.containers ?? []).map((c) => ({ container: c.name, image: c.image ?? '' }))
  const chosen = container === undefined ? images[0] : images.find((c) => c.container === container)
  const own = hasOwnRecord(rs)
  const verdict = annotationOf(meta, MKT_ANNOTATIONS.verdict)
  const optional = (key: string, value: string | undefined) => (value === undefined || value === '' ? {} : { [key]: value })
  const recorded = (key: string, annotation: string) => (own ? optional(key, annotationOf(meta, annotation)) : {})
  return {
    revision,
    replicaSet: nameOf(rs),
    ...optional('image', chosen?.image),
    images,
    ...optional('createdAt', isoOf(meta?.creationTimestamp)),
    ...optional('changeCause', own ? annotationOf(meta, CHANGE_CAUSE_ANNOTATION) : ownChangeCause(rs, all)),
    ...recorded('deployedBy', MKT_ANNOTATIONS.deployedBy),
    ...recorded('deployedAt', MKT_ANNOTATIONS.deployedAt),
    ...recorded('reason', MKT_ANNOTATIONS.reason),
    ...recorded('gitSha', MKT_ANNOTATIONS.gitSha),
    ...recorded('runUrl', MKT_ANNOTATIONS.runUrl),
    verdict: own && isVerdict(verdict) ? verdict : 'external',
    ...recorded('verdictReason', MKT_ANNOTATIONS.verdictReason),
    current,
    formerRevisions: parseRevisionHistory(annotationOf(meta, REVISION_HISTORY_ANNOTATION)),
    replicas: rs.status?.replicas ?? 0,
  }
}

/** `"1,3"` → [1, 3]; malformed items are dropped. */
export function parseRevisionHistory(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return []
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => /^\d+$/.test(item))
    .map(Number)
}

/** The newest revision whose gates passed; `excludingCurrent` skips the revision the Deployment runs now. */
export function lastGoodRevision(history: readonly ReleaseEntry[], excludingCurrent: boolean): ReleaseEntry | undefined {
  return [...history]
    .sort((a, b) => b.revision - a.revision)
    .find((entry) => entry.verdict === 'passed' && !(excludingCurrent && entry.current))
}

/**
 * Where an automatic rollback goes: the revision that was serving when it was complete and verified, else the
 * newest verified revision other than the current one (never an aborted or external one); undefined when none.
 */
export function autoRollbackTarget(history: readonly ReleaseEntry[], servingComplete: boolean): ReleaseEntry | undefined {
  const serving = history.find((entry) => entry.current)
  if (serving !== undefined && servingComplete && serving.verdict === 'passed') return serving
  return lastGoodRevision(history, true)
}

export type RollbackRefusal = 'no-history' | 'not-found' | 'already-current' | 'no-good-revision'

export type RollbackTarget =
  | { ok: true; target: ReleaseEntry; from?: ReleaseEntry }
  | { ok: false; reason: RollbackRefusal; message: string; from?: ReleaseEntry }

/**
 * Where `mkt rollback` goes: `toRevision` exactly (kubectl's numbering), else the last revision that passed
 * its gates other than the current one. Refuses, with a reason and a message that says what to do:
 * - `no-history`: no revisions, or only the current one;
 * - `not-found`: `toRevision` is not a revision now (a rollback may have renumbered it; the message says to what);
 * - `already-current`: the target is what the Deployment runs already;
 * - `no-good-revision`: earlier revisions exist but none passed mkt's gates.
 */
export function rollbackTarget(history: readonly ReleaseEntry[], options: { toRevision?: number } = {}): RollbackTarget {
  const from = history.find((entry) => entry.current)
  const withFrom = from === undefined ? {} : { from }
  if (history.length === 0) return { ok: false, reason: 'no-history', message: 'no rollout history found' }

  const { toRevision } = options
  if (toRevision !== undefined) {
    if (!Number.isInteger(toRevision) || toRevision < 1) {
      return { ok: false, reason: 'not-found', message: `revision must be a whole number from 1, got ${toRevision}`, ...withFrom }
    }
    const target = history.find((entry) => entry.revision === toRevision)
    if (target === undefined) {
      const renumbered = history.find((entry) => entry.formerRevisions.includes(toRevision))
      const message =
        renumbered !== undefined
          ? `revision ${toRevision} is now revision ${renumbered.revision} (a rollback renumbered it); use --to-revision ${renumbered.revision}`
          : `unable to find specified revision ${toRevision} in history (revisions: ${history.map((entry) => entry.revision).join(', ')})`
      return { ok: false, reason: 'not-found', message, ...withFrom }
    }
    if (target.current) {
      return { ok: false, reason: 'already-current', message: `revision ${toRevision} is already running (current template already matches it)`, ...withFrom }
    }
    return { ok: true, target, ...withFrom }
  }

  const target = lastGoodRevision(history, true)
  if (target !== undefined) return { ok: true, target, ...withFrom }
  const others = history.filter((entry) => !entry.current)
  if (others.length === 0) {
    return { ok: false, reason: 'no-history', message: 'the current revision is the only one', ...withFrom }
  }
  const unverified = others.map((entry) => `${entry.revision} ${entry.verdict}`).join(', ')
  return {
    ok: false,
    reason: 'no-good-revision',
    message: `no earlier revision passed mkt's gates (${unverified}); choose one with --to-revision`,
    ...withFrom,
  }
}
