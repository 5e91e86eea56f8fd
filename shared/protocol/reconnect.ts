/**
 * The reconnect rule both sides rely on after a connection drops (a head restart, a network
 * blip). The agent's backoff never waits longer than {@link longestReconnectDelayMs} of the node
 * timeout the head announced in `welcome`, which is below that timeout; the head, after a restart,
 * waits for the nodes that were connected at least that long plus one node timeout, counted from
 * the moment it listens. So a healthy agent always says hello before the head gives up on it.
 */

/** The agent's backoff before any welcome told it the node timeout (and its absolute cap). */
export const DEFAULT_RECONNECT_CAP_MS = 10_000;
/** Jitter spreads a delay over [base × (1 - j), base × (1 + j)]. */
export const RECONNECT_JITTER = 0.25;

/** The base delay the agent's backoff grows to (before jitter) under a head with this node timeout. */
export function reconnectCapMs(nodeTimeoutMs: number | undefined): number {
  if (nodeTimeoutMs === undefined || !Number.isFinite(nodeTimeoutMs) || nodeTimeoutMs <= 0) return DEFAULT_RECONNECT_CAP_MS;
  return Math.max(100, Math.min(DEFAULT_RECONNECT_CAP_MS, Math.floor(nodeTimeoutMs / 2)));
}

/** The longest single reconnect delay (jitter included): at most 5/8 of the node timeout. */
export function longestReconnectDelayMs(nodeTimeoutMs: number | undefined): number {
  return Math.ceil(reconnectCapMs(nodeTimeoutMs) * (1 + RECONNECT_JITTER));
}
