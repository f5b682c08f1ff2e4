/**
 * Small snapshots written by hand from the schema, shaped as `ip -j addr` and the engine print them
 * in a sandbox (ifindex numbers, veth peers, bridge names), for the Network view's unit tests.
 * Steps of the tutorial: docker0 with tomcat01; then mynet with tomcat-net-01; then tomcat01
 * joined to mynet too.
 */
import type { TopologyContainer, TopologyInterface, TopologyNetwork, TopologySnapshot } from '../../src/protocol/topology.ts';

const iface = (name: string, ifindex: number, rest: Partial<TopologyInterface> = {}): TopologyInterface => ({
  name,
  ifindex,
  peerIfindex: null,
  kind: 'other',
  mac: null,
  addresses: [],
  master: null,
  up: true,
  ...rest,
});

const lo = iface('lo', 1, { kind: 'loopback', addresses: ['127.0.0.1/8'] });

export const networks = {
  bridge: { id: 'a1b2c3d4e5f6', name: 'bridge', driver: 'bridge', bridge: 'docker0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false },
  host: { id: 'b1b2c3d4e5f6', name: 'host', driver: 'host', bridge: null, subnet: null, gateway: null, internal: false },
  none: { id: 'c1b2c3d4e5f6', name: 'none', driver: 'null', bridge: null, subnet: null, gateway: null, internal: false },
  mynet: { id: 'd1b2c3d4e5f6', name: 'mynet', driver: 'bridge', bridge: 'br-d1b2c3d4e5f6', subnet: '192.168.0.0/16', gateway: '192.168.0.1', internal: false },
} satisfies Record<string, TopologyNetwork>;

function container(name: string, ifaces: TopologyInterface[], endpoints: [string, string][]): TopologyContainer {
  return {
    id: `${name.length.toString(16).padStart(2, '0')}0000000000`,
    name,
    image: 'tomcat',
    running: true,
    interfaces: [lo, ...ifaces],
    endpoints: endpoints.map(([network, ipv4]) => ({ network, ipv4, mac: null, aliases: [] })),
    links: [],
  };
}

const hostBase = [lo, iface('eth0', 2, { addresses: ['10.88.0.5/16'] }), iface('docker0', 3, { kind: 'bridge', addresses: ['172.17.0.1/16'] })];

/** docker0 with tomcat01 (veth 10 on the host, eth0 9 in the container). */
export function step1(): TopologySnapshot {
  return {
    takenAt: 1_000,
    host: { interfaces: [...hostBase, iface('veth1a2b3c4', 10, { kind: 'veth', peerIfindex: 9, master: 'docker0' })] },
    networks: [networks.bridge, networks.host, networks.none],
    containers: [container('tomcat01', [iface('eth0', 9, { kind: 'veth', peerIfindex: 10, addresses: ['172.17.0.2/16'] })], [['bridge', '172.17.0.2']])],
    trimmed: 0,
  };
}

/** Then mynet, with tomcat-net-01 on it (veth 13 / eth0 12). */
export function step2(): TopologySnapshot {
  const one = step1();
  return {
    ...one,
    takenAt: 2_000,
    host: {
      interfaces: [
        ...one.host.interfaces,
        iface('br-d1b2c3d4e5f6', 11, { kind: 'bridge', addresses: ['192.168.0.1/16'] }),
        iface('veth5d6e7f8', 13, { kind: 'veth', peerIfindex: 12, master: 'br-d1b2c3d4e5f6' }),
      ],
    },
    networks: [...one.networks, networks.mynet],
    containers: [
      ...one.containers,
      container('tomcat-net-01', [iface('eth0', 12, { kind: 'veth', peerIfindex: 13, addresses: ['192.168.0.2/16'] })], [['mynet', '192.168.0.2']]),
    ],
  };
}

/** Then `docker network connect mynet tomcat01`: tomcat01 gets eth1 (15) peered with veth 16 on mynet's bridge. */
export function step3(): TopologySnapshot {
  const two = step2();
  const [tomcat01, ...rest] = two.containers as [TopologyContainer, ...TopologyContainer[]];
  return {
    ...two,
    takenAt: 3_000,
    host: { interfaces: [...two.host.interfaces, iface('veth9a8b7c6', 16, { kind: 'veth', peerIfindex: 15, master: 'br-d1b2c3d4e5f6' })] },
    containers: [
      {
        ...tomcat01,
        interfaces: [...tomcat01.interfaces, iface('eth1', 15, { kind: 'veth', peerIfindex: 16, addresses: ['192.168.0.3/16'] })],
        endpoints: [...tomcat01.endpoints, { network: 'mynet', ipv4: '192.168.0.3', mac: null, aliases: [] }],
      },
      ...rest,
    ],
  };
}
