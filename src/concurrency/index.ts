export { SerialQueue } from './serial-queue.js';
export { Semaphore } from './semaphore.js';
