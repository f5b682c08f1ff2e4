/**
 * "Nothing left behind", for the sandboxes one runner made: while pages run, it notes the runner's
 * sandbox containers and the volumes they mount (the nested engine's /var/lib/docker, which holds
 * every container, network and volume a page created); after the runner stopped, none may be left.
 * Other runners on the same engine, and what they own, are not looked at.
 */
import type Docker from 'dockerode';
import { LABEL } from '../docker.ts';

export class SandboxWatch {
  readonly #docker: Docker;
  readonly #owner: string;
  readonly #containers = new Set<string>();
  readonly #volumes = new Set<string>();

  constructor(docker: Docker, owner: string) {
    this.#docker = docker;
    this.#owner = owner;
  }

  /** Notes the runner's sandboxes as they are now, and their volumes. */
  async note(): Promise<void> {
    const containers = await this.#docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${this.#owner}`] } });
    for (const container of containers) {
      this.#containers.add(container.Names[0]?.replace(/^\//, '') ?? container.Id);
      for (const mount of container.Mounts) if (mount.Type === 'volume' && mount.Name) this.#volumes.add(mount.Name);
    }
  }

  get seen(): { containers: number; volumes: number } {
    return { containers: this.#containers.size, volumes: this.#volumes.size };
  }

  /** What is still there of what the runner made: containers by name, then volumes. */
  async leftovers(): Promise<string[]> {
    const [containers, volumes] = await Promise.all([
      this.#docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${this.#owner}`] } }),
      this.#docker.listVolumes(),
    ]);
    const names = new Set((volumes.Volumes ?? []).map((v) => v.Name));
    return [
      ...containers.map((c) => `sandbox container ${c.Names[0]?.replace(/^\//, '') ?? c.Id} (${c.State})`),
      ...[...this.#volumes].filter((v) => names.has(v)).map((v) => `volume ${v}`),
    ];
  }

  /** Polls until nothing is left (removal is asynchronous), and returns what still is. */
  async settle(timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let left = await this.leftovers();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      left = await this.leftovers();
    }
    return left;
  }
}
