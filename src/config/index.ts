export { loadConfig, attrOf, type LoadInput, type LoadedConfig } from './load.js';
export { keySpecs, logLevels, logFormats, configFileEnv, configFileFlag, redacted, type ClusterConfig, type Config, type KeySpec, type KeyType, type LogLevel, type LogFormat } from './schema.js';
