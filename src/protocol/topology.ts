/**
 * The topology of a reader's sandbox: what the "Network" view draws and what the doc-tests store
 * beside each block's recording. One snapshot is the whole network at one moment, as `ip -j` in the
 * sandbox and in each container's network namespace, and the sandbox's own engine, report it.
 *
 * Cables are not stored: a container's interface names its veth peer by ifindex (`peerIfindex`,
 * the number after `@if` in `ip addr`), and the host's interface of that ifindex names its bridge
 * (`master`). A renderer joins them. No DOM and no Node types (src/common/tsconfig.json holds it).
 */
import { z } from 'zod';

/** Snapshots larger than this, as JSON, are trimmed (containers dropped, `trimmed` says how many). */
export const MAX_TOPOLOGY_BYTES = 256 * 1024;

const ifindex = z.number().int().nonnegative();
/** An address with its prefix, as `ip addr` prints it: `172.18.0.2/16`, `fe80::42:acff:fe12:2/64`. */
const cidr = z.string().min(3).max(64);

export const topologyInterface = z.strictObject({
  name: z.string().min(1).max(64),
  ifindex,
  /** The veth peer's ifindex (in the other namespace), `null` when the interface has no peer. */
  peerIfindex: ifindex.nullable(),
  /** veth, bridge, loopback, or other (tun, dummy...). */
  kind: z.enum(['veth', 'bridge', 'loopback', 'other']),
  mac: z.string().max(32).nullable(),
  /** IPv4 first, then IPv6. */
  addresses: z.array(cidr).max(64),
  /** The bridge this interface is a port of (its name, in the same namespace), `null` when none. */
  master: z.string().max(64).nullable(),
  up: z.boolean(),
});

export const topologyNetwork = z.strictObject({
  /** The engine's network id, 12 hex digits. */
  id: z.string().max(64),
  name: z.string().min(1).max(256),
  driver: z.string().max(64),
  /** The host interface that is this network's bridge (`docker0`, `br-1a2b3c4d5e6f`), when it has one. */
  bridge: z.string().max(64).nullable(),
  subnet: cidr.nullable(),
  gateway: z.string().max(64).nullable(),
  internal: z.boolean(),
});

export const topologyContainer = z.strictObject({
  /** The engine's container id, 12 hex digits. */
  id: z.string().max(64),
  name: z.string().min(1).max(256),
  image: z.string().max(256),
  running: z.boolean(),
  /** Its interfaces, from `ip -j addr` in its network namespace (empty when it is not running). */
  interfaces: z.array(topologyInterface).max(64),
  /** Its endpoints as the engine reports them: network name, address, aliases. */
  endpoints: z
    .array(
      z.strictObject({
        network: z.string().max(256),
        /** Without prefix, as the engine reports it; `null` when it has none yet. */
        ipv4: z.string().max(64).nullable(),
        mac: z.string().max(32).nullable(),
        aliases: z.array(z.string().max(256)).max(64),
      }),
    )
    .max(64),
  /** `--link` targets as `name:alias`, as the engine reports them. */
  links: z.array(z.string().max(512)).max(64),
});

export const topologySnapshot = z.strictObject({
  /** Milliseconds since the epoch, when the collection started. */
  takenAt: z.number().int().nonnegative(),
  /** The sandbox host's own interfaces: lo, docker0, br-*, veth*. */
  host: z.strictObject({ interfaces: z.array(topologyInterface).max(4096) }),
  networks: z.array(topologyNetwork).max(1024),
  containers: z.array(topologyContainer).max(1024),
  /** Containers left out to stay under MAX_TOPOLOGY_BYTES; 0 when none. */
  trimmed: z.number().int().nonnegative(),
});

export type TopologyInterface = z.infer<typeof topologyInterface>;
export type TopologyNetwork = z.infer<typeof topologyNetwork>;
export type TopologyContainer = z.infer<typeof topologyContainer>;
export type TopologySnapshot = z.infer<typeof topologySnapshot>;
