export { loadConfig, attrOf, type LoadInput, type LoadedConfig } from './load.js';
export { keySpecs, logLevels, configFileEnv, configFileFlag, redacted, type ClusterConfig, type Config, type KeySpec, type KeyType, type LogLevel } from './schema.js';
