export { Elanus } from './elanus.js';
export { defaultLimits, crashPoints, type OpenOptions, type EngineLimits, type CrashPoint } from './options.js';
export * from './requests.js';
