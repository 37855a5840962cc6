export { SerialQueue } from './serial-queue.js';
