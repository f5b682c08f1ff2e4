/** What the lab leaves on the real Docker engine, counted for "nothing left behind" checks. */
import Docker from 'dockerode';
import { LABEL } from '../../runner/docker.ts';

export const docker = new Docker();

export interface EngineFootprint {
  sandboxes: string[];
  containers: string[];
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
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** Polls until the engine holds exactly what `expected` says (removal is asynchronous). */
export async function settlesTo(expected: EngineFootprint, timeoutMs = 30_000): Promise<EngineFootprint> {
  const deadline = Date.now() + timeoutMs;
  let now = await footprint();
  while (Date.now() < deadline && JSON.stringify(now) !== JSON.stringify(expected)) {
    await new Promise((r) => setTimeout(r, 250));
    now = await footprint();
  }
  return now;
}
