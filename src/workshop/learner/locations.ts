/**
 * Where a learner is, as the protocol names it: a sidebar link's page without its locale, and a
 * section's text as `location` takes it. No DOM: the unit tests call them.
 */

/** A sidebar link's page, without its locale: `/en/docker-network/` is `docker-network`. */
export function linkSlug(pathname: string): string {
  return pathname.replace(/^\/+/, '').replace(/^en(\/|$)/, '').replace(/\/+$/, '').replace(/\.html$/, '').replace(/\/index$/, '');
}

/** A section's text as the protocol takes it: no control characters, at most 200 characters. */
export function sectionText(text: string | null | undefined): string | null {
  const clean = (text ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return clean ? [...clean].slice(0, 200).join('') : null;
}
