/**
 * The end-to-end suite against Mosquitto: agent and projector connect to a Mosquitto started here
 * with the files `sitrep broker export-mosquitto` wrote; the hub runs without its broker.
 */
import { describe, it } from 'vitest';
import { findMosquitto } from '@sitrep/broker/testing';
import { hubSuite } from './hub-suite.js';

const found = findMosquitto();
if ('path' in found) {
  hubSuite({ kind: 'mosquitto', binary: found.path });
} else {
  console.warn(`SKIPPED: the end-to-end suite against Mosquitto: ${found.missing}`);
  describe.skip(`sitrep hub end to end against Mosquitto (${found.missing})`, () => {
    it('needs mosquitto', () => undefined);
  });
}
