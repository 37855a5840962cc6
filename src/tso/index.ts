export { Tso, systemClock, composeTs, physicalOf, expiredBefore, logicalBits, type Clock, type Timestamp, type TsoOptions } from './tso.js';
