/**
 * Opens the workshop a start names: the open workshop of that name in the data folder is RESUMED
 * (same tokens, learners and outcomes; the room size and stuck time follow this start's flags);
 * any other name opens a new workshop, and a workshop left open by an earlier start is ended then
 * (one workshop per runner; its record is kept).
 */
import { randomBytes } from 'node:crypto';
import { newToken, StoredWorkshopRecord } from './record.ts';
import { WorkshopStore, type WorkshopRow } from './store.ts';

export interface OpenWorkshopOptions {
  dataDir: string;
  name: string;
  /** The room's size: sandboxes at once. */
  capacity: number;
  /** A new workshop ends this long after it starts. */
  durationS: number;
  stuckAfterS: number;
  now?: () => number;
}

export interface OpenedWorkshop {
  record: StoredWorkshopRecord;
  /** True when an open workshop of that name was picked up again. */
  resumed: boolean;
  /** Workshops of other names that this start ended. */
  endedOthers: string[];
}

/** Throws StoreError (store.ts) when the store cannot be used. */
export function openWorkshop(options: OpenWorkshopOptions): OpenedWorkshop {
  const now = options.now ?? Date.now;
  const store = WorkshopStore.open(options.dataDir);
  try {
    const at = now();
    const { row, resumed, endedOthers } = store.transaction(() => {
      const open = store.openWorkshops();
      const same = open.find((w) => w.name === options.name);
      const others = open.filter((w) => w !== same);
      for (const w of others) store.endWorkshop(w.id, at);
      if (same) {
        store.updateSettings(same.id, options.capacity, options.stuckAfterS);
        return { row: { ...same, capacity: options.capacity, stuckAfterS: options.stuckAfterS }, resumed: true, endedOthers: others.map((w) => w.name) };
      }
      const fresh: WorkshopRow = {
        id: randomBytes(12).toString('base64url'),
        name: options.name,
        joinToken: newToken(),
        facilitatorToken: newToken(),
        capacity: options.capacity,
        startedAt: at,
        endsAt: at + Math.round(options.durationS * 1000),
        endedAt: null,
        stuckAfterS: options.stuckAfterS,
      };
      store.insertWorkshop(fresh);
      return { row: fresh, resumed: false, endedOthers: others.map((w) => w.name) };
    });
    return { record: new StoredWorkshopRecord(store, row, { now }), resumed, endedOthers };
  } catch (error) {
    store.close();
    throw error;
  }
}
