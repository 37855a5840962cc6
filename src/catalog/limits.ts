// Catalog limits, units last. Values follow Milvus's defaults where it has one.
export const nameLengthMax = 255;
export const fieldsPerCollectionMax = 64;
export const vectorFieldsPerCollectionMax = 4;
export const vectorDimMax = 32768;
export const varcharLengthMax = 65535;
export const arrayCapacityMax = 4096;
export const partitionsPerCollectionMax = 1024;
export const partitionKeyPartitionsDefault = 16;
export const shardsPerCollectionMax = 16;
export const collectionsPerDatabaseMax = 65536;
export const databasesMax = 64;
