// Label selectors (`metav1.LabelSelectorAsSelector` semantics) over plain label maps.
import type { LabelSelector } from './api.js'

/** True when the selector selects the labels. An empty selector selects everything; a missing one nothing. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false
  const set = labels ?? {}
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (set[key] !== value) return false
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(set, req.key)
    const values = req.values ?? []
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(set[req.key])) return false
        break
      case 'NotIn':
        if (has && values.includes(set[req.key])) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

/** A Service's `spec.selector` (a plain map) selects the labels; empty or missing selects nothing. */
export function mapSelectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false
  return selectorMatches({ matchLabels: selector }, labels)
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
}

/** `labelsutil.CloneAndAddLabel`. */
export function withLabel(labels: Record<string, string> | undefined, key: string, value: string): Record<string, string> {
  return { ...(labels ?? {}), [key]: value }
}

/** `labelsutil.CloneSelectorAndAddLabel`. */
export function selectorWithLabel(selector: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const out: LabelSelector = { matchLabels: withLabel(selector?.matchLabels, key, value) }
  if (selector?.matchExpressions?.length) out.matchExpressions = selector.matchExpressions.map((req) => ({ ...req }))
  return out
}
