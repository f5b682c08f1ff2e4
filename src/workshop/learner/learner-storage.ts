/**
 * What workshop mode writes to the browser's storage, apart from the eager lab-storage.ts (which
 * only reads the learner, to connect at once): the join page's credential and learner, "Not you?",
 * and small values of its own (the join token, dismissed broadcasts).
 */
import { LEARNER_KEY, TOKEN_KEY, type LearnerRecord } from '../../terminal/lab-storage.ts';

// Storage throws when it is disabled (some privacy settings); the values then live as long as the page.
function attempt<T>(action: () => T, otherwise: T): T {
  try {
    return action();
  } catch {
    return otherwise; // storage disabled or full: nothing is remembered
  }
}

/** After a join: the credential becomes the lab token, so every terminal of the site connects as this learner. */
export function writeLearner(credential: string, learner: LearnerRecord): void {
  attempt(() => {
    localStorage.setItem(TOKEN_KEY, credential);
    localStorage.setItem(LEARNER_KEY, JSON.stringify(learner));
  }, undefined);
}

/** "Not you?": the browser forgets the learner and their credential. */
export function forgetLearner(): void {
  attempt(() => {
    localStorage.removeItem(LEARNER_KEY);
    localStorage.removeItem(TOKEN_KEY);
  }, undefined);
}

export function readLocal(key: string): string | null {
  return attempt(() => localStorage.getItem(key), null);
}

export function writeLocal(key: string, value: string): void {
  attempt(() => localStorage.setItem(key, value), undefined);
}
