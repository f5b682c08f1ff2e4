/** The protocol client lives with the runner's other clients; tests import it from here too. */
export { LabClient, withoutOsc, type ConnectOptions } from '../../runner/client/lab-client.ts';
