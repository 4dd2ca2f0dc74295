// The sandbox's API faults (faults.ts, `mkt sandbox fault api`) applied to Service Bus requests: the
// same rules and path globs as for the Kubernetes API, answered the Service Bus way, with an XML
// <Error> the SDK can parse and Retry-After on throttling (the SDK's pipeline retries 429 and 503
// only when that header is there).
import type { ApiFaultDecision } from '../types.js'
import { ServiceBusError } from './entities.js'

/** The error a fault answers with; Retry-After defaults to 1 s on a 429 (Azure always sends one). */
export function faultError(decision: ApiFaultDecision): ServiceBusError | undefined {
  const status = decision.status
  if (status === undefined) return undefined
  const retryAfter = decision.retryAfter ?? (status === 429 ? 1 : undefined)
  const wait = retryAfter === undefined ? '' : ` Please wait ${retryAfter} seconds and try again.`
  switch (status) {
    case 429:
      return new ServiceBusError(429, `SubCode=50009. The request was terminated because the namespace is being throttled (fault injected by the mkt sandbox).${wait}`, retryAfter)
    case 503:
      return new ServiceBusError(503, `SubCode=50002. The server is busy (fault injected by the mkt sandbox).${wait}`, retryAfter)
    default:
      return new ServiceBusError(status, `SubCode=50000. Internal Server Error (fault injected by the mkt sandbox).${wait}`, retryAfter)
  }
}
