/**
 * A recorded output wider than its box scrolls sideways; a keyboard can scroll it only once it can
 * take focus (WCAG 2.1.1, axe's scrollable-region-focusable). Expressive Code does the same for its
 * own frames; this is the recordings' twin: focusable, and a named region, only while it scrolls,
 * so a box that fits adds no stop to the Tab order.
 */
const OUTPUT = '.lab-recording-output';

export function focusableWhileScrolling(root: ParentNode = document): ResizeObserver {
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target as HTMLElement);
  });
  for (const output of root.querySelectorAll<HTMLElement>(OUTPUT)) observer.observe(output);
  return observer;
}

function update(output: HTMLElement): void {
  const scrolls = output.scrollWidth > output.clientWidth;
  if (scrolls && !output.hasAttribute('tabindex')) {
    output.tabIndex = 0;
    output.setAttribute('role', 'region');
    const label = output.closest('.lab-recording')?.querySelector('.lab-recording-label')?.textContent;
    if (label) output.setAttribute('aria-label', label);
  } else if (!scrolls && output.hasAttribute('tabindex')) {
    output.removeAttribute('tabindex');
    output.removeAttribute('role');
    output.removeAttribute('aria-label');
  }
}
