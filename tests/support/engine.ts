/** What the lab leaves on the real Docker engine, counted for "nothing left behind" checks. */
import Docker from 'dockerode';
import { LABEL } from '../../runner/docker.ts';
import { SANDBOX_NETWORK } from '../../runner/sandbox/dind.ts';
import { pollFor } from './poll.ts';

export const docker = new Docker();

export interface EngineFootprint {
  sandboxes: string[];
  containers: string[];
  /** Networks other than the sandboxes' own, which the runner keeps while it runs. */
  networks: string[];
  volumes: string[];
}

export async function footprint(): Promise<EngineFootprint> {
  const [sandboxes, containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [LABEL.sandbox] } }),
    docker.listContainers({ all: true }),
    docker.listNetworks(),
    docker.listVolumes(),
  ]);
  return {
    sandboxes: sandboxes.map((c) => c.Names[0] ?? c.Id).sort(),
    containers: containers.map((c) => c.Id).sort(),
    networks: networks.map((n) => n.Name).filter((name) => name !== SANDBOX_NETWORK.name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

export async function sandboxNetworkExists(): Promise<boolean> {
  const networks = await docker.listNetworks({ filters: { name: [SANDBOX_NETWORK.name] } });
  return networks.some((n) => n.Name === SANDBOX_NETWORK.name);
}

/** Polls until the engine holds exactly what `expected` says (removal is asynchronous). */
export async function settlesTo(expected: EngineFootprint, timeoutMs = 30_000): Promise<EngineFootprint> {
  return pollFor(footprint, (now) => JSON.stringify(now) === JSON.stringify(expected), { timeoutMs });
}

/** What one runner (by its owner label) has on the engine: its sandboxes, by name. */
export async function sandboxesOf(owner: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } });
  return containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')).sort();
}

export async function volumeNames(): Promise<string[]> {
  return ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
}
