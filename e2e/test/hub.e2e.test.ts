import { hubSuite } from './hub-suite.js';

hubSuite({ kind: 'embedded' });
