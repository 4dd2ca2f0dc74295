// The one HealthChecks judge: how an answer of an ASP.NET Core health endpoint (`/health/ready`, `/health/live`)
// is read, by the deploy gates (rollout/gates.ts) and by `mkt health` (report.ts) alike, so the two never
// disagree about the same answer:
//   - 200 with a Healthy report is Healthy; 200 with a Degraded report is Degraded (passes, with a warning);
//   - a report that says Unhealthy is Unhealthy whatever the HTTP status (a 200 with an Unhealthy body too);
//   - 200 with a body that is not a health report is Degraded: the endpoint answers (the kubelet's own probe
//     would pass) but nothing says the dependencies are fine, so it passes with a warning that says so;
//   - any other status, or no answer at all, is Unhealthy.
// Pure functions; the probing itself is in probe.ts and rollout/wait.ts.

export type Health = 'Healthy' | 'Degraded' | 'Unhealthy'

export interface HealthEntry {
  status: Health | 'Unknown'
  description?: string
  duration?: string
  /** The exception text some writers include for a failed check. */
  exception?: string
}

export interface HealthReport {
  status: Health | 'Unknown'
  totalDuration?: string
  entries: Record<string, HealthEntry>
  /** Why the body could not be read as a report (status is then Unknown). */
  error?: string
}

/**
 * Reads an ASP.NET Core HealthChecks response body; never throws. Understands the JSON report
 * (`{"status":"Healthy","totalDuration":"…","entries":{"database":{"status":"Healthy",…}}}`, the
 * HealthChecks.UI writer; `results` is accepted as a synonym of `entries`, as in Microsoft's sample writer;
 * status as text in any case, or as the Health enum number 0/1/2), and the framework's default plain-text
 * writer (the body is just `Healthy`). Anything else is `{ status: 'Unknown', error }`.
 */
export function parseHealthReport(body: string | undefined): HealthReport {
  if (body === undefined || body.trim() === '') return { status: 'Unknown', entries: {}, error: 'empty body' }
  const plain = healthStatusOf(body.trim())
  if (plain !== undefined && /^[a-z]+$/i.test(body.trim())) return { status: plain, entries: {} }

  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { status: 'Unknown', entries: {}, error: 'not JSON' }
  }
  if (!isRecord(json)) return { status: 'Unknown', entries: {}, error: 'not a health report (expected a JSON object)' }
  const status = healthStatusOf(json.status)
  const entries: Record<string, HealthEntry> = {}
  const rawEntries = isRecord(json.entries) ? json.entries : isRecord(json.results) ? json.results : {}
  for (const [name, raw] of Object.entries(rawEntries)) {
    if (!isRecord(raw)) {
      entries[name] = { status: 'Unknown' }
      continue
    }
    entries[name] = {
      status: healthStatusOf(raw.status) ?? 'Unknown',
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
      ...(typeof raw.duration === 'string' ? { duration: raw.duration } : {}),
      ...(typeof raw.exception === 'string' ? { exception: raw.exception } : {}),
    }
  }
  const report: HealthReport = {
    status: status ?? 'Unknown',
    entries,
    ...(typeof json.totalDuration === 'string' ? { totalDuration: json.totalDuration } : {}),
  }
  if (status === undefined) {
    report.error = json.status === undefined ? 'no "status" field' : `unknown status ${JSON.stringify(json.status)}`
  }
  return report
}

/** `Unhealthy: database Unhealthy (timeout), cache Degraded`: the report's status and its entries that are not Healthy. */
export function describeHealthReport(report: HealthReport): string {
  if (report.status === 'Unknown') return `not a health report (${report.error ?? 'unknown status'})`
  const troubled = Object.entries(report.entries)
    .filter(([, entry]) => entry.status !== 'Healthy')
    .map(([name, entry]) => {
      const why = entry.description ?? entry.exception
      return `${name} ${entry.status}${why === undefined ? '' : ` (${oneLine(why)})`}`
    })
  return troubled.length === 0 ? report.status : `${report.status}: ${troubled.join(', ')}`
}

const HEALTH_STATUS_BY_ENUM_NUMBER: Record<number, Health> = { 0: 'Unhealthy', 1: 'Degraded', 2: 'Healthy' }

function healthStatusOf(value: unknown): Health | undefined {
  if (typeof value === 'number') return HEALTH_STATUS_BY_ENUM_NUMBER[value]
  if (typeof value !== 'string') return undefined
  const lower = value.toLowerCase()
  return lower === 'healthy' ? 'Healthy' : lower === 'degraded' ? 'Degraded' : lower === 'unhealthy' ? 'Unhealthy' : undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat
}

/** One answer of a health endpoint: the HTTP status and body, or 'error' when nothing answered. */
export interface HealthAnswer {
  status: number | 'error'
  body?: string
  /** For status 'error': what went wrong (connection refused, `timeout after 5 s`…). */
  error?: string
}

export interface HealthJudgement {
  health: Health
  /** The report read from the body, or null when the body is not one (or nothing answered). */
  report: HealthReport | null
  /** One line without a prefix: `Unhealthy: database Unhealthy (timeout)`, `answered 404`, `no answer (…)`. */
  summary: string
}

/** The judgement of one health answer (see the top of this file). */
export function judgeHealthAnswer(answer: HealthAnswer): HealthJudgement {
  if (answer.status === 'error') {
    return { health: 'Unhealthy', report: null, summary: `no answer${answer.error === undefined ? '' : ` (${oneLine(answer.error)})`}` }
  }
  const parsed = parseHealthReport(answer.body)
  if (parsed.status === 'Unknown') {
    if (answer.status === 200) {
      const why = parsed.error === 'empty body' ? 'with an empty body' : `not with a health report (${parsed.error})`
      return { health: 'Degraded', report: null, summary: `answered 200 but ${why}` }
    }
    return { health: 'Unhealthy', report: null, summary: `answered ${answer.status}${statusMessageOf(answer.body)}` }
  }
  const described = describeHealthReport(parsed)
  // ASP.NET Core's ResultStatusCodes: Healthy and Degraded answer 200, Unhealthy 503. Say the code when it disagrees.
  const usual = parsed.status === 'Unhealthy' ? 503 : 200
  const summary = answer.status === usual ? described : `answered ${answer.status} with ${described}`
  const health: Health = answer.status === 200 ? parsed.status : 'Unhealthy'
  return { health, report: parsed, summary }
}

/** The API server's own Status message for a proxy that could not reach anything (` (no endpoints available…)`). */
function statusMessageOf(body: string | undefined): string {
  try {
    const status = JSON.parse(body ?? '') as { kind?: string; message?: string }
    return status.kind === 'Status' && typeof status.message === 'string' && status.message !== '' ? ` (${oneLine(status.message)})` : ''
  } catch {
    return ''
  }
}
