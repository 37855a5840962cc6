export { Tso, systemClock, composeTs, physicalOf, logicalBits, type Clock, type Timestamp, type TsoOptions } from './tso.js';
