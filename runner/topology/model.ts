/**
 * Builds a topology snapshot (src/protocol/topology.ts) from what the collector printed
 * (runner/topology/collector.pl): `ip -j -d addr` of the sandbox and of each container's network
 * namespace, and the sandbox engine's own answers for its networks and containers. Pure: no I/O,
 * so the unit tests feed it output captured from real sandboxes (tests/fixtures/topology/).
 *
 * The order of everything is fixed (networks and containers by name, interfaces by ifindex), so two
 * snapshots of the same network serialize alike and `sameTopology` can compare them as text.
 */
import { z } from 'zod';
import {
  MAX_TOPOLOGY_BYTES,
  topologySnapshot,
  type TopologyContainer,
  type TopologyInterface,
  type TopologyNetwork,
  type TopologySnapshot,
} from '../../src/protocol/topology.ts';

/** The collector's output was not what it prints: a message for the panel, in plain English. */
export class TopologyError extends Error {
  override name = 'TopologyError';
}

// What we read of the tools' and the engine's JSON. Loose objects: both print far more than this,
// and a newer version may add fields.
const ipAddress = z.object({ family: z.string(), local: z.string(), prefixlen: z.number().int() });
const ipLink = z.object({
  ifindex: z.number().int().nonnegative(),
  ifname: z.string().min(1),
  /** The peer's ifindex for a veth (the number after `@if`), or the lower device's for a vlan and the like. */
  link_index: z.number().int().nonnegative().optional(),
  master: z.string().optional(),
  address: z.string().optional(),
  link_type: z.string().optional(),
  flags: z.array(z.string()).default([]),
  linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
  addr_info: z.array(z.union([ipAddress, z.object({})])).default([]),
});
const ipAddr = z.array(ipLink);

const engineNetwork = z.object({
  Id: z.string().min(12),
  Name: z.string().min(1),
  Driver: z.string().default(''),
  Internal: z.boolean().default(false),
  IPAM: z.object({ Config: z.array(z.object({ Subnet: z.string().optional(), Gateway: z.string().optional() })).nullable().default([]) }).default({ Config: [] }),
  Options: z.record(z.string(), z.string()).nullable().default({}),
});

const engineEndpoint = z.object({
  IPAddress: z.string().default(''),
  MacAddress: z.string().default(''),
  Aliases: z.array(z.string()).nullable().default([]),
});

const engineContainer = z.object({
  Id: z.string().min(12),
  Name: z.string().min(1),
  Config: z.object({ Image: z.string().default('') }),
  State: z.object({ Running: z.boolean() }),
  HostConfig: z.object({ NetworkMode: z.string().default(''), Links: z.array(z.string()).nullable().default([]) }),
  NetworkSettings: z.object({ Networks: z.record(z.string(), engineEndpoint).nullable().default({}) }),
});

export const collectorOutput = z.object({
  host: ipAddr,
  networks: z.array(engineNetwork),
  containers: z.array(z.object({ inspect: engineContainer, addr: ipAddr.nullable() })),
});
export type CollectorOutput = z.infer<typeof collectorOutput>;

/** Parses and checks the collector's stdout; a TopologyError says what was wrong. */
export function parseCollectorOutput(stdout: string): CollectorOutput {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    throw new TopologyError(`The network collector printed something that is not JSON (${(error as Error).message}).`);
  }
  const parsed = collectorOutput.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TopologyError(`The network collector's output is not as expected at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? 'invalid'}.`);
  }
  return parsed.data;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function toInterface(link: z.infer<typeof ipLink>): TopologyInterface {
  const kindOf = link.linkinfo?.info_kind;
  const kind: TopologyInterface['kind'] =
    link.link_type === 'loopback' ? 'loopback' : kindOf === 'veth' ? 'veth' : kindOf === 'bridge' ? 'bridge' : 'other';
  const addrs = link.addr_info.filter((a): a is z.infer<typeof ipAddress> => 'local' in a);
  const v4 = addrs.filter((a) => a.family === 'inet');
  const v6 = addrs.filter((a) => a.family === 'inet6');
  return {
    name: link.ifname,
    ifindex: link.ifindex,
    peerIfindex: kind === 'veth' ? (link.link_index ?? null) : null,
    kind,
    mac: kind === 'loopback' ? null : (link.address ?? null),
    addresses: [...v4, ...v6].map((a) => `${a.local}/${a.prefixlen}`),
    master: link.master ?? null,
    up: link.flags.includes('UP'),
  };
}

function interfaces(links: z.infer<typeof ipAddr>): TopologyInterface[] {
  return links.map(toInterface).sort((a, b) => a.ifindex - b.ifindex);
}

/**
 * A network as the engine reports it. The engine leaves the gateway out of a network created
 * without `--gateway` (the tutorial's redis network); the bridge then holds it as its address.
 */
function toNetwork(network: z.infer<typeof engineNetwork>, host: TopologyInterface[]): TopologyNetwork {
  const id = network.Id.slice(0, 12);
  const config = (network.IPAM.Config ?? []).find((c) => c.Subnet && !c.Subnet.includes(':')) ?? network.IPAM.Config?.[0];
  const named = network.Options?.['com.docker.network.bridge.name'];
  // The engine names a user-defined bridge br-<first 12 of its id> unless told otherwise.
  const bridge = network.Driver === 'bridge' ? (named ?? `br-${id}`) : null;
  const bridgeAddress = bridge ? host.find((i) => i.name === bridge)?.addresses.find((a) => !a.includes(':')) : undefined;
  return {
    id,
    name: network.Name,
    driver: network.Driver,
    bridge,
    subnet: config?.Subnet ?? null,
    gateway: config?.Gateway ?? bridgeAddress?.split('/')[0] ?? null,
    internal: network.Internal,
  };
}

/** `/tomcat02:/tomcat03/tomcat02` (HostConfig.Links) is `tomcat02:tomcat02`: target and alias. */
function linkOf(raw: string): string {
  const [target = '', alias = ''] = raw.split(':');
  return `${target.replace(/^\//, '')}:${alias.split('/').pop() ?? ''}`;
}

/** A container, or null when it vanished while the collector ran (its namespace was gone). */
function toContainer(entry: CollectorOutput['containers'][number]): TopologyContainer | null {
  const { inspect, addr } = entry;
  if (inspect.State.Running && addr === null) return null;
  const mode = inspect.HostConfig.NetworkMode;
  return {
    id: inspect.Id.slice(0, 12),
    name: inspect.Name.replace(/^\//, ''),
    image: inspect.Config.Image,
    running: inspect.State.Running,
    // With --net host it shares the sandbox's own namespace: those interfaces are the host's.
    interfaces: inspect.State.Running && mode !== 'host' && addr ? interfaces(addr) : [],
    endpoints: Object.entries(inspect.NetworkSettings.Networks ?? {})
      .map(([network, ep]) => ({ network, ipv4: ep.IPAddress || null, mac: ep.MacAddress || null, aliases: ep.Aliases ?? [] }))
      .sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0)),
    links: (inspect.HostConfig.Links ?? []).map(linkOf).sort(),
  };
}

/**
 * The snapshot of one collection. Containers that vanished mid-collection are left out. When the
 * JSON would exceed `maxBytes`, containers are dropped (stopped ones first, then from the end of
 * the name order) and `trimmed` says how many.
 */
export function buildSnapshot(output: CollectorOutput, takenAt: number, maxBytes = MAX_TOPOLOGY_BYTES): TopologySnapshot {
  const containers = output.containers.map(toContainer).filter((c): c is TopologyContainer => c !== null).sort(byName);
  const host = interfaces(output.host);
  const snapshot: TopologySnapshot = {
    takenAt,
    host: { interfaces: host },
    networks: output.networks.map((n) => toNetwork(n, host)).sort(byName),
    containers,
    trimmed: 0,
  };
  const trimmed = trim(snapshot, maxBytes);
  // Our own output must be what the protocol accepts: a failure here is a bug, said plainly.
  const checked = topologySnapshot.safeParse(trimmed);
  if (!checked.success) throw new TopologyError(`The network snapshot does not fit the protocol: ${checked.error.issues[0]?.path.join('.')}: ${checked.error.issues[0]?.message}.`);
  return checked.data;
}

function byteSize(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

function trim(snapshot: TopologySnapshot, maxBytes: number): TopologySnapshot {
  if (byteSize(snapshot) <= maxBytes) return snapshot;
  // Which to keep: running before stopped, then name order. Each container's share of the JSON
  // is measured once; the host's veths that were its peers go with it.
  const order = [...snapshot.containers].sort((a, b) => Number(b.running) - Number(a.running) || byName(a, b));
  const base = byteSize({ ...snapshot, containers: [], trimmed: snapshot.containers.length });
  let budget = maxBytes - base;
  const kept = new Set<TopologyContainer>();
  for (const container of order) {
    const size = byteSize(container) + 1; // and its comma
    if (size > budget) break;
    budget -= size;
    kept.add(container);
  }
  const dropped = snapshot.containers.filter((c) => !kept.has(c));
  const orphanPeers = new Set(dropped.flatMap((c) => c.interfaces.map((i) => i.ifindex)));
  const keptPeers = new Set([...kept].flatMap((c) => c.interfaces.map((i) => i.ifindex)));
  return {
    ...snapshot,
    host: {
      interfaces: snapshot.host.interfaces.filter((i) => i.kind !== 'veth' || i.peerIfindex === null || !orphanPeers.has(i.peerIfindex) || keptPeers.has(i.peerIfindex)),
    },
    containers: snapshot.containers.filter((c) => kept.has(c)),
    trimmed: dropped.length,
  };
}

/** True when two snapshots show the same network (when they were taken does not count). */
export function sameTopology(a: TopologySnapshot, b: TopologySnapshot): boolean {
  return JSON.stringify({ ...a, takenAt: 0 }) === JSON.stringify({ ...b, takenAt: 0 });
}
