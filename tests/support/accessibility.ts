/**
 * The accessibility audit of the e2e tests: axe-core (through @axe-core/playwright) on a page as
 * Chromium shows it, at the WCAG 2.2 AA rules.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/** The rule sets of WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 added no level-A rule to axe). */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Label in Name (WCAG 2.5.3) holds everywhere but on Starlight's search button, which is not this
 * site's markup: it is named "Search" (its visible word) and shows the keycaps Ctrl K as a hint,
 * which `aria-keyshortcuts="Control+K"` already gives; axe counts the keycaps as label text, and no
 * name (not even "Search Ctrl K") satisfies it. The rule still runs on every other element.
 */
const LABEL_IN_NAME = 'label-content-name-mismatch';
const STARLIGHT_SEARCH = 'site-search button[data-open-modal]';

export interface Violation {
  rule: string;
  impact: string;
  help: string;
  /** Where, as axe names the elements, with what it says about the first few. */
  targets: string[];
}

/**
 * Every violation of the WCAG AA rules on the page, once its scripts have settled: code frames
 * that scroll sideways become focusable after a layout pass (Expressive Code's script, and the
 * recordings', src/blocks/page/scrollable-output.ts).
 */
export async function audit(page: Page): Promise<Violation[]> {
  await page
    .waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.expressive-code pre, .lab-recording-output')].every((pre) => pre.scrollWidth <= pre.clientWidth || pre.hasAttribute('tabindex')), null, { timeout: 10_000, polling: 100 })
    // Still not settled: audit it as it is, and axe names the frame that cannot take focus.
    .catch(() => undefined);
  const all = await new AxeBuilder({ page }).withTags(WCAG_AA_TAGS).disableRules([LABEL_IN_NAME]).analyze();
  const labelInName = await new AxeBuilder({ page }).withRules([LABEL_IN_NAME]).exclude(STARLIGHT_SEARCH).analyze();
  return [...all.violations, ...labelInName.violations].map((violation) => ({
    rule: violation.id,
    impact: violation.impact ?? '',
    help: violation.help,
    targets: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1, 2).join(' ').trim() ?? ''}`),
  }));
}

/** A readable list of violations for an assertion's message. */
export function describeViolations(where: string, violations: Violation[]): string {
  return violations.map((v) => `${where}: ${v.rule} (${v.impact}) ${v.help}\n    ${v.targets.slice(0, 5).join('\n    ')}`).join('\n');
}

