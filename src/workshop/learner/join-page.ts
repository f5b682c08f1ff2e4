/**
 * The join page's script (src/components/JoinPage.astro renders the form): takes the join token
 * from the link (`#join=…`) into localStorage and out of the address bar, checks the display name
 * as the runner does, joins (POST JOIN_PATH), and keeps the learner's credential as the lab token,
 * so every terminal of the site connects as this learner. A browser that already joined is greeted
 * by name, with "Not you?". Names are shown as text, never as markup.
 *
 * For tests: `[data-lab-join]` with `data-state` = no-link | form | joining | joined; the field is
 * `#lab-join-name`, its error `#lab-join-error`, a refused join `[data-part="refusal"]`, the
 * greeting `[data-part="you-are"]`, the way on `[data-part="start-link"]`, `[data-action="not-you"]`.
 */
import { JOIN_FRAGMENT } from '../../protocol/workshop-constants.ts';
import { readLearner, takeFragment } from '../../terminal/lab-storage.ts';
import { forgetLearner, readLocal, writeLearner, writeLocal } from './learner-storage.ts';
import { format } from '../../terminal/strings.ts';
import { checkName, readJoined, refusal, type JoinStrings } from './join-form.ts';

const JOIN_TOKEN_KEY = 'docker-network-lab:join';

/** Writes `template` with each `{{key}}` as text (a `<strong>` for `strong` keys): no value is ever markup. */
function fill(element: HTMLElement, template: string, values: Record<string, string>, strong: readonly string[] = []): void {
  const nodes: Node[] = [];
  for (const [i, part] of template.split(/\{\{(\w+)\}\}/).entries()) {
    if (i % 2 === 0) {
      if (part) nodes.push(document.createTextNode(part));
    } else if (strong.includes(part)) {
      const bold = document.createElement('strong');
      bold.textContent = values[part] ?? '';
      nodes.push(bold);
    } else nodes.push(document.createTextNode(values[part] ?? `{{${part}}}`));
  }
  element.replaceChildren(...nodes);
}

function mount(root: HTMLElement): void {
  const strings = JSON.parse(root.querySelector('script[data-lab-join-strings]')?.textContent ?? '{}') as JoinStrings;
  const part = <T extends HTMLElement = HTMLElement>(name: string) => root.querySelector<T>(`[data-part="${name}"]`) as T;
  const form = part<HTMLFormElement>('form');
  const input = root.querySelector<HTMLInputElement>('#lab-join-name') as HTMLInputElement;
  const error = root.querySelector<HTMLElement>('#lab-join-error') as HTMLElement;
  const refused = part('refusal');
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]') as HTMLButtonElement;
  const submitLabel = submit.textContent ?? '';

  const token = takeFragment(location, history, JOIN_FRAGMENT);
  if (token) writeLocal(JOIN_TOKEN_KEY, token);

  const show = (state: 'no-link' | 'form' | 'joining' | 'joined') => {
    root.dataset.state = state;
    part('no-link').hidden = state !== 'no-link';
    form.hidden = state !== 'form' && state !== 'joining';
    part('known').hidden = state !== 'joined';
    submit.disabled = state === 'joining';
    submit.textContent = state === 'joining' ? (strings['lab.workshop.join.joining'] ?? submitLabel) : submitLabel;
  };
  const fieldError = (text: string | null) => {
    error.textContent = text ?? '';
    error.hidden = text === null;
    if (text === null) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  };
  const greet = () => {
    const learner = readLearner();
    if (!learner) return false;
    fill(part('you-are'), strings['lab.workshop.join.youAre'] ?? '{{name}}', { name: learner.name, workshop: learner.workshop.name }, ['name']);
    show('joined');
    return true;
  };
  const start = () => {
    refused.hidden = true;
    if (greet()) return;
    if (readLocal(JOIN_TOKEN_KEY)) show('form');
    else show('no-link');
  };

  part('not-you').addEventListener('click', () => {
    forgetLearner();
    start();
    if (!form.hidden) input.focus();
  });
  input.addEventListener('input', () => {
    if (!error.hidden && checkName(strings, input.value).ok) fieldError(null);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void join();
  });

  async function join(): Promise<void> {
    refused.hidden = true;
    const checked = checkName(strings, input.value);
    if (!checked.ok) {
      fieldError(checked.error);
      input.focus();
      return;
    }
    fieldError(null);
    const joinToken = readLocal(JOIN_TOKEN_KEY);
    if (!joinToken) return show('no-link');
    show('joining');
    let response: Response;
    try {
      response = await fetch(root.dataset.joinUrl ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ join: joinToken, name: checked.name }) });
    } catch {
      return refuse(refusal(strings, 'unreachable', null, null));
    }
    const body: unknown = await response.json().catch(() => null);
    // The brief's runner answers 201, the merged one 200: any success with a valid body is a join.
    const joined = response.ok ? readJoined(body) : null;
    if (!joined) return refuse(refusal(strings, response.ok ? 500 : response.status, body, response.headers.get('retry-after')));
    writeLearner(joined.credential, { id: joined.learner, name: checked.name, workshop: joined.workshop });
    greet();
    part('start-link').focus();
  }

  function refuse(said: { field: boolean; text: string }): void {
    show('form');
    if (said.field) {
      fieldError(said.text);
      input.focus();
    } else {
      refused.textContent = said.text;
      refused.hidden = false;
    }
  }

  start();
  // The link's label names the first page, filled in at build time; keep it as text.
  const link = part<HTMLAnchorElement>('start-link');
  link.textContent = format(strings['lab.workshop.join.start'] ?? '{{page}}', { page: root.dataset.startTitle ?? '' });
}

const root = document.querySelector<HTMLElement>('[data-lab-join]');
if (root) mount(root);
