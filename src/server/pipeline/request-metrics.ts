/**
 * Stage 5 of the request pipeline: per-API request metrics (Kafka's RequestMetrics:
 * RequestsPerSec, TotalTimeMs, ErrorsPerSec). Counts and total time per API key and version,
 * recorded when a request's response is ready (or it failed). Cheap enough for the hot path:
 * two clock reads and a few additions per request; no allocation once an API has been seen.
 * A metrics exporter (JMX-style names, Prometheus) reads `snapshot()`.
 */
export interface ApiMetrics {
  apiKey: number;
  requests: number;
  /** Requests whose handler threw (the connection was closed). */
  failures: number;
  totalTimeMs: number;
  maxTimeMs: number;
  /** Requests by version. */
  versions: Map<number, number>;
}

export class RequestMetrics {
  private readonly byApi = new Map<number, ApiMetrics>();

  record(apiKey: number, apiVersion: number, timeMs: number, failed: boolean): void {
    let m = this.byApi.get(apiKey);
    if (m === undefined) this.byApi.set(apiKey, (m = { apiKey, requests: 0, failures: 0, totalTimeMs: 0, maxTimeMs: 0, versions: new Map() }));
    m.requests++;
    if (failed) m.failures++;
    m.totalTimeMs += timeMs;
    if (timeMs > m.maxTimeMs) m.maxTimeMs = timeMs;
    m.versions.set(apiVersion, (m.versions.get(apiVersion) ?? 0) + 1);
  }

  /** A copy of the counters, by API key. */
  snapshot(): ApiMetrics[] {
    return [...this.byApi.values()].map((m) => ({ ...m, versions: new Map(m.versions) })).sort((a, b) => a.apiKey - b.apiKey);
  }
}
