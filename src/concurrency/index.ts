export { SerialQueue } from './serial-queue.js';
export { CoalescedPass } from './coalesced-pass.js';
export { systemTimers, type Timer, type Timers } from './timers.js';
