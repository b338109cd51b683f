/* The /v1 API as the page uses it. Shapes are those of docs/openapi.yaml and
 * of what the server answers (src/json/volume_json.c renders every volume in
 * one form); nothing here guesses at alternatives. Every call sends the key
 * as a Bearer header and resolves to { status, ok, body }: a non-2xx answer
 * is a value (body is the API's Error), a network failure rejects. */

/**
 * @typedef {{id: string, name: string}} OperatorRef
 * @typedef {{id: string, name: string, role: 'authority'|'operator', created: string}} Operator
 * @typedef {{type: 'Polygon', coordinates: number[][][]}
 *         | {type: 'Point', coordinates: number[], radius_m: number}
 *         | {type: 'LineString', coordinates: number[][], half_width_m: number}} Footprint
 * @typedef {{footprint: Footprint, altitude_lower_m: number, altitude_upper_m: number,
 *            time_start: string, time_end: string}} Volume
 * @typedef {'approved'|'active'|'ended'|'withdrawn'|'nonconforming'|'preempted'} OperationState
 *   ended: its window has passed (the server ends it by itself)
 * @typedef {{id: string, version: number, state: OperationState, priority: number, reason?: string, name?: string,
 *            owner?: OperatorRef, volumes: Volume[], preempted?: string[],
 *            created: string, updated: string}} Operation
 *   owner and preempted: authority only; name: its owner's and the authority's only
 * @typedef {{id: string, version: number, state: 'in_force'|'deleted', name?: string,
 *            exempt: string[], volumes: Volume[], created: string, updated: string}} Restriction
 * @typedef {{id: string, kind: 'operation'|'restriction', name?: string, footprint: Footprint,
 *            altitude_lower_m: number, altitude_upper_m: number,
 *            time_start: string, time_end: string}} Notice
 *   name: a restriction's published name (restrictions are exact); an operation's never
 * @typedef {{track_id: string, time: string, lat: number, lon: number, alt_m: number,
 *            ground_speed_mps: number, track_deg: number, vertical_rate_mps: number,
 *            operation_id?: string|null, operator?: OperatorRef|null}} TrackReport
 *   operator: authority only (null for traffic with no operator)
 * @typedef {{bearing_deg: number, distance_m: number, rel_alt_m: number,
 *            t_cpa_s: number, d_cpa_m: number}} Relative
 * @typedef {{sector: ?string, distance_band: string, vertical: string}} Intruder
 * @typedef {{maneuver: string, direction?: string, turn_deg?: number,
 *            heading_deg?: number, altitude_m?: number, hold_s?: number}} Advisory
 * @typedef {{operator: OperatorRef|null, track_id: string, operation_id: string|null,
 *            position?: TrackReport}} AlertSide
 * @typedef {{seq: number, kind: 'raised'|'revised'|'cleared'|'nonconforming'|'conforming'|'probing',
 *            alert?: string, time: string,
 *            track_id?: string, operation_id?: string, operation_state?: OperationState,
 *            intruder?: Intruder, advisory?: Advisory, t_los_s?: number, revision?: number,
 *            t_in_s?: number, los_now?: boolean,
 *            a?: AlertSide, b?: AlertSide, t_out_s?: number, t_cpa_s?: number, d_cpa_m?: number,
 *            seen_by_a?: Relative, seen_by_b?: Relative, operator?: OperatorRef,
 *            area?: number[], rejections?: number, window_s?: number}} AlertRecord
 *   An operator's records: track_id, operation_id, intruder, t_los_s, advisory, los_now
 *   (OperatorAlert); a revised one replaces its alert's advisory (revision 1..3). The authority's: a, b, t_*, d_cpa_m, seen_by_* for pairs;
 *   operator, track_id, operation_id for conformance; operator, area (lon/lat
 *   box), rejections, window_s for probing. `alert` is the same for a raise
 *   and its clear (pair alerts only).
 * @typedef {{status: number, ok: boolean, body: any}} Answer
 */

/** Seconds UTC of an RFC 3339 time. */
export function seconds(rfc3339) { return Date.parse(rfc3339) / 1000; }

/** RFC 3339 without fractional seconds, as the API's query parameters take it. */
export function rfc3339(s) { return new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z'); }

export class Client {
  /** @param {string} key the API key; @param {AbortSignal} signal ends every request */
  constructor(key, signal) {
    this.key = key;
    this.signal = signal;
    /** Called on any 401 (the key revoked or rotated), when set. */
    this.onUnauthorized = null;
  }

  unauthorized(res) {
    if (res.status === 401 && this.onUnauthorized) this.onUnauthorized();
    return res;
  }

  /** @returns {Promise<Answer>} */
  async get(path) {
    const res = this.unauthorized(await fetch(path, { headers: { Authorization: 'Bearer ' + this.key }, signal: this.signal }));
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    return { status: res.status, ok: res.ok, body };
  }

  /** @returns {Promise<{status: number, ok: boolean, body: {operations: Operation[]}}>} */
  operations() { return this.get('/v1/operations'); }
  /** The caller: {name, role}; 404 from a server older than the route.
   *  @returns {Promise<{status: number, ok: boolean, body: {name: string, role: 'authority'|'operator'}}>} */
  whoami() { return this.get('/v1/whoami'); }
  /** Authority only (403 for an operator). @returns {Promise<{body: {operators: Operator[]}}>} */
  operators() { return this.get('/v1/operators'); }
  /** Authority only. @returns {Promise<{body: {restrictions: Restriction[]}}>} */
  restrictions() { return this.get('/v1/restrictions'); }
  /** @returns {Promise<{body: {notices: Notice[]}}>} */
  notices(fromS, toS) {
    return this.get('/v1/notices?bbox=-180,-90,180,90&from=' + rfc3339(fromS) + '&to=' + rfc3339(toS));
  }
  /** @returns {Promise<{body: {tracks: TrackReport[]}}>} */
  tracks() { return this.get('/v1/tracks'); }
  /** Records with seq > since, oldest first.
   *  @returns {Promise<{body: {alerts: AlertRecord[], next: number, missed: boolean}}>} */
  alerts(since, limit) { return this.get('/v1/alerts?since=' + since + '&limit=' + limit); }

  /** The alert stream (text/event-stream) resuming after seq `since`; the
   *  Response, whose body streams.js reads. */
  alertStream(since) {
    return fetch('/v1/alerts/stream', {
      headers: { Authorization: 'Bearer ' + this.key, Accept: 'text/event-stream', 'Last-Event-ID': String(since) },
      signal: this.signal
    }).then((res) => this.unauthorized(res));
  }
}
