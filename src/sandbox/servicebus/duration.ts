// ISO 8601 durations as Service Bus treats them: parsed into a .NET TimeSpan (100 ns ticks, years as
// 365 days and months as 30 days like XmlConvert.ToTimeSpan) and written back the way
// XmlConvert.ToString(TimeSpan) writes them, so `PT60S` comes back as `PT1M` exactly as from Azure.
// Ticks are BigInts: TimeSpan.MaxValue (P10675199DT2H48M5.4775807S) does not fit a double.

export const TICKS_PER_SECOND = 10_000_000n
export const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND
const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE
export const TICKS_PER_DAY = 24n * TICKS_PER_HOUR
export const MAX_TICKS = 9_223_372_036_854_775_807n

/** TimeSpan.MaxValue: the default TTL and auto-delete-on-idle of every entity. */
export const MAX_DURATION = 'P10675199DT2H48M5.4775807S'

const DURATION = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/

/** The duration in ticks, or undefined when it is not an ISO 8601 duration a TimeSpan can hold. */
export function parseDuration(text: string): bigint | undefined {
  const match = DURATION.exec(text.trim())
  if (match === null) return undefined
  const [, minus, years, months, days, hours, minutes, seconds, fraction] = match
  // `P` and `PT` alone are not durations: at least one component, and one after a `T`.
  if ([years, months, days, hours, minutes, seconds].every((part) => part === undefined)) return undefined
  if (text.includes('T') && [hours, minutes, seconds].every((part) => part === undefined)) return undefined
  const n = (part: string | undefined): bigint => BigInt(part ?? '0')
  const fractionTicks = BigInt((fraction ?? '').slice(0, 7).padEnd(7, '0'))
  const ticks = (n(years) * 365n + n(months) * 30n + n(days)) * TICKS_PER_DAY + n(hours) * TICKS_PER_HOUR + n(minutes) * TICKS_PER_MINUTE + n(seconds) * TICKS_PER_SECOND + fractionTicks
  if (ticks > MAX_TICKS) return undefined
  return minus === undefined ? ticks : -ticks
}

/** XmlConvert.ToString(TimeSpan): `P1D`, `PT1M`, `PT0.5S`, `PT0S`; zero parts left out. */
export function formatDuration(ticks: bigint): string {
  const sign = ticks < 0n ? '-' : ''
  let rest = ticks < 0n ? -ticks : ticks
  const days = rest / TICKS_PER_DAY
  rest %= TICKS_PER_DAY
  const hours = rest / TICKS_PER_HOUR
  rest %= TICKS_PER_HOUR
  const minutes = rest / TICKS_PER_MINUTE
  rest %= TICKS_PER_MINUTE
  const seconds = rest / TICKS_PER_SECOND
  const fraction = (rest % TICKS_PER_SECOND).toString().padStart(7, '0').replace(/0+$/, '')
  let time = ''
  if (hours > 0n) time += `${hours}H`
  if (minutes > 0n) time += `${minutes}M`
  if (seconds > 0n || fraction !== '') time += `${seconds}${fraction === '' ? '' : `.${fraction}`}S`
  const date = days > 0n ? `${days}D` : ''
  if (date === '' && time === '') return 'PT0S'
  return `${sign}P${date}${time === '' ? '' : `T${time}`}`
}

/** The canonical form of a duration, or undefined when it does not parse. */
export function canonicalDuration(text: string): string | undefined {
  const ticks = parseDuration(text)
  return ticks === undefined ? undefined : formatDuration(ticks)
}
