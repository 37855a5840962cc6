// Every error Elanus can return is declared here, once: a stable code, a message
// template, and how it maps onto each wire (Milvus error code, legacy common.ErrorCode,
// gRPC status, HTTP status) plus whether retrying can help. docs/ERRORS.md lists the
// same codes; test/errors.test.ts keeps the two in step.

export interface ErrorSpec {
  /** Message template; `{name}` is replaced by the detail of that name. */
  readonly message: string;
  /** Milvus 2.x `merr` code carried in `common.Status.code`. */
  readonly milvusCode: number;
  /** Legacy `common.ErrorCode` carried in `common.Status.error_code`. */
  readonly legacyCode: number;
  /** gRPC status for transports that use it (0 = OK: the error travels in the body). */
  readonly grpcStatus: number;
  readonly httpStatus: number;
  readonly retryable: boolean;
}

const spec = (
  message: string,
  milvusCode: number,
  legacyCode: number,
  httpStatus: number,
  retryable = false,
): ErrorSpec => Object.freeze({ message, milvusCode, legacyCode, grpcStatus: 0, httpStatus, retryable });

/**
 * An error Milvus sends as a gRPC status rather than inside an OK reply: its
 * authentication interceptor refuses a call before any handler runs (16 UNAUTHENTICATED).
 */
const callSpec = (
  message: string,
  milvusCode: number,
  legacyCode: number,
  httpStatus: number,
  grpcStatus: number,
  retryable = false,
): ErrorSpec => Object.freeze({ message, milvusCode, legacyCode, grpcStatus, httpStatus, retryable });

// Legacy codes from common.proto ErrorCode (as numbered in the pinned SDK's proto):
// 1 UnexpectedError, 4 CollectionNotExists, 5 IllegalArgument, 7 IllegalDimension,
// 9 IllegalCollectionName, 15 MetaFailed, 25 IndexNotExist, 56 NotReadyServe.
// (Fixed: these were numbered 17, 15, 11, 26, 33 before, which the SDK decoded as
// CannotCreateFolder, CacheFailed, IllegalRowRecord, ...; its quick-setup createCollection
// compares describeIndex's error_code with IndexNotExist. Wrong types use IllegalArgument:
// the enum has no type error.)
export const errorRegistry = Object.freeze({
  // Input that the user can fix.
  INVALID_ARGUMENT: spec('invalid argument: {detail}', 1100, 5, 400),
  INVALID_NAME: spec('invalid {what} name "{name}": {reason}', 1100, 9, 400),
  // Names of the catalog (catalog/names.ts), each kind with Milvus's code and text.
  INVALID_COLLECTION_NAME: spec('Invalid {what}: {name}. {rule}: invalid parameter', 1100, 5, 400),
  INVALID_FIELD_NAME: spec('Invalid field name: {name}. {rule}: field name invalid[field={name}]', 1701, 1, 400),
  INVALID_PARTITION_NAME: spec('Invalid partition name: {name}. {rule}', 65535, 1, 400),
  INVALID_INDEX_NAME: spec('Invalid index name: {name}. {rule}', 65535, 1, 400),
  INVALID_DATABASE_NAME: spec('{rule}: invalid database name[database={name}]', 802, 1, 400),
  // A schema Milvus refuses with a plain error (its proxy's schema checks); the detail is
  // Milvus's text where it has one.
  INVALID_SCHEMA: spec('invalid schema: {detail}', 65535, 1, 400),
  /** The schema checks Milvus answers as parameter errors (1100). */
  INVALID_SCHEMA_PARAM: spec('{detail}: invalid parameter', 1100, 5, 400),
  FIELD_NOT_FOUND: spec('field "{field}" does not exist in collection "{collection}"', 1100, 5, 400),
  MISSING_FIELD: spec('field "{field}" is required but missing in row {row}', 1100, 5, 400),
  WRONG_TYPE: spec('field "{field}" in row {row} expects {expected}, got {got}', 1100, 5, 400),
  WRONG_DIMENSION: spec('vector field "{field}" in row {row} expects dimension {expected}, got {got}', 1100, 7, 400),
  VALUE_NOT_FINITE: spec('vector field "{field}" in row {row} holds a NaN or infinite value at position {position}', 1100, 5, 400),
  /** A Timestamptz value that is not a timestamp Milvus reads (its text: invalid timestamp string). */
  INVALID_TIMESTAMP: spec('field "{field}" in row {row}: invalid timestamp string: {value}: {reason}', 1100, 5, 400),
  VALUE_OUT_OF_RANGE: spec('field "{field}" in row {row}: value {value} is out of range for {type}', 1100, 5, 400),
  STRING_TOO_LONG: spec('field "{field}" in row {row} is {length} characters long, max_length is {max}', 1100, 5, 400),
  INVALID_GEOMETRY: spec('geometry field "{field}" in row {row}: {value} {problem}', 1100, 5, 400),
  ARRAY_TOO_LONG: spec('field "{field}" in row {row} has {length} elements, max_capacity is {max}', 1100, 5, 400),
  NULL_NOT_ALLOWED: spec('field "{field}" in row {row} is not nullable', 1100, 5, 400),
  DUPLICATE_PRIMARY_KEY: spec('duplicate primary keys are not allowed in the same batch: {pk} is in rows {first} and {second}', 1100, 5, 400),
  UNKNOWN_FIELD: spec('field "{field}" in row {row} is not in the schema and the collection has no dynamic field', 1100, 5, 400),
  AUTO_ID_GIVEN: spec('primary key field "{field}" is auto-generated; rows must not carry it', 1100, 5, 400),
  BATCH_TOO_LARGE: spec('batch of {size} {unit} exceeds the limit of {max} {unit}', 1100, 5, 413),
  LIMIT_EXCEEDED: spec('{what} limit exceeded: {detail}', 1100, 5, 400),
  RESULT_TOO_LARGE: spec('the result would hold {bytes} bytes, over the limit of {max} (resultBytesMax); ask for fewer rows (limit) or fewer output fields', 1102, 5, 413),
  // Filter expressions (query/expr/). Milvus reports every filter error as a parameter error (1100).
  FILTER_SYNTAX: spec('filter: {detail} at column {column}{hint}', 1100, 5, 400),
  FILTER_TYPE: spec('filter: {detail} at column {column}{hint}', 1100, 5, 400),
  FILTER_PARAM: spec('filter: {detail} at column {column}{hint}', 1100, 5, 400),
  // Index specifications (catalog/indexes.ts). Milvus reports these as parameter errors (1100).
  INDEX_TYPE_INVALID: spec('index type "{type}" cannot be built on {what} "{field}"; allowed: {allowed}', 1100, 5, 400),
  METRIC_TYPE_INVALID: spec('metric type "{metric}" is not valid for {what}; allowed: {allowed}', 1100, 5, 400),
  INDEX_PARAM_INVALID: spec('invalid {type} index on field "{field}": {detail}', 1100, 5, 400),
  INDEX_PROPERTY_NOT_ALTERABLE: spec('"{param}" cannot be altered: {reason}; alterable index properties: {allowed}', 1100, 5, 400),
  METRIC_MISMATCH: spec('metric type not match: the index on field "{field}" uses {expected}, the search asked for {actual}', 1100, 5, 400),
  // Things that do not exist, or no longer exist. The texts are Milvus's (merr's
  // "<what> not found[key=value]"): programs and Milvus's own tests match them.
  DATABASE_NOT_FOUND: spec('database not found[database={name}]', 800, 1, 404),
  COLLECTION_NOT_FOUND: spec('collection not found[database={db}][collection={name}]', 100, 4, 404),
  /** DescribeCollection's own wording in Milvus (its metadata cache answers it). */
  COLLECTION_NOT_FOUND_DESCRIBE: spec("can't find collection[database={db}][collection={name}]", 100, 4, 404),
  PARTITION_NOT_FOUND: spec('partition not found[partition={name}][collection={collection}]', 200, 1, 404),
  ALIAS_NOT_FOUND: spec('alias not found[database={db}][alias={name}]', 1600, 1, 404),
  INDEX_NOT_FOUND: spec('index not found[indexName={name}][collection={collection}]', 700, 25, 404),
  // Conflicts with the current state.
  DATABASE_ALREADY_EXISTS: spec('database "{name}" already exists', 801, 1, 409),
  DATABASE_NOT_EMPTY: spec('database:{name} not empty, must drop all collections before drop database ({count} left)', 65535, 1, 409),
  DEFAULT_DATABASE: spec('can not drop default database', 65535, 1, 409),
  COLLECTION_ALREADY_EXISTS: spec('create duplicate collection with different parameters, collection: {name} (database {db}; the same request again succeeds)', 65535, 1, 409),
  PARTITION_ALREADY_EXISTS: spec('partition "{name}" already exists in collection "{collection}"', 1100, 1, 409),
  ALIAS_ALREADY_EXISTS: spec('alias "{name}" already exists in database "{db}" (for collection "{collection}")', 1602, 1, 409),
  ALIAS_CONFLICTS: spec('name "{name}" is already used by a {what} in database "{db}"', 1601, 1, 409),
  COLLECTION_HAS_ALIASES: spec('unable to drop the collection [{name}] because it has associated aliases [{aliases}], please remove all aliases before dropping the collection', 65535, 1, 409),
  DROP_BY_ALIAS: spec('cannot drop the collection via alias = {name}', 65535, 1, 409),
  DEFAULT_PARTITION: spec('default partition cannot be {action}', 65535, 1, 409),
  PARTITION_LOADED: spec('partition cannot be dropped, partition is loaded, please release it first (partition {name})', 65535, 1, 409),
  PARTITION_KEY_MODE: spec('collection "{collection}" uses a partition key; partitions are managed automatically', 1100, 1, 409),
  COLLECTION_NOT_LOADED: spec('collection "{name}" is not loaded; call loadCollection first', 101, 1, 409),
  PARTITION_NOT_LOADED: spec('partition "{name}" of collection "{collection}" is not loaded', 201, 1, 409),
  DROPPING: spec('{what} "{name}" is being dropped', 100, 4, 409, false),
  VECTOR_INDEX_LOADED: spec('vector index cannot be dropped on loaded collection: {id} (collection {name}, index {index}; release it first)', 1100, 5, 409),
  COLLECTION_LOADED: spec('collection "{name}" is loaded; release it before {action}', 104, 1, 409),
  // Milvus's datacoord (index_meta.go canCreateIndex) answers these as plain errors: 65535, UnexpectedError.
  INDEX_NOT_DISTINCT: spec('CreateIndex failed: at most one distinct index is allowed per field ({detail})', 65535, 1, 409),
  INDEX_FIELD_HAS_INDEX: spec('CreateIndex failed: creating multiple indexes on same field is not supported ({detail})', 65535, 1, 409),
  // Resource groups and replicas (catalog/resource-groups.ts), with merr's codes and texts.
  RESOURCE_GROUP_NAME_EMPTY: spec("resource group name couldn't be empty", 65535, 1, 400),
  INVALID_RESOURCE_GROUP_NAME: spec('Invalid resource group name {name}. {rule}: invalid parameter', 1100, 5, 400),
  RESOURCE_GROUP_NOT_FOUND: spec('resource group not found[rg={name}]', 300, 1, 404),
  RESOURCE_GROUP_ALREADY_EXISTS: spec('resource group already exist, but create with different config[rg={name}]', 301, 1, 409),
  RESOURCE_GROUP_LIMIT: spec('resource group num reach limit[rg={name}][limit={max}]', 302, 1, 400),
  RESOURCE_GROUP_ILLEGAL_CONFIG: spec('resource group illegal config[rg={name}]: {reason}', 303, 1, 400),
  RESOURCE_GROUP_NODE_NOT_ENOUGH: spec('resource group node not enough[rg={name}][current={current}][expected={expected}]', 304, 1, 409),
  RESOURCE_GROUP_NOT_DROPPABLE: spec('{reason}[rg={name}]: invalid parameter', 1100, 5, 409),
  RESOURCE_GROUP_REPLICA_MISMATCH: spec('replica=[{replicas}] resource group=[{groups}], resource group num can only be 0, 1 or same as replica number', 65535, 1, 400),
  COLLECTION_NOT_FULLY_LOADED: spec('collection not fully loaded[collection={id}]', 103, 1, 409, true),
  NODE_NOT_FOUND: spec('node not found[node={node}]: {detail}', 901, 1, 404),
  SEGMENT_NOT_FOUND: spec('segment not found[segment={id}]: {detail}', 600, 1, 404),
  // Users and authentication (catalog/credentials.ts, api/auth.ts; docs/SECURITY.md). The
  // texts are Milvus's: its proxy's name and password checks, its rootcoord's answers, and
  // its authentication interceptor (a gRPC UNAUTHENTICATED status; REST v2: HTTP 401 with
  // code 1800).
  INVALID_USER_NAME: spec('invalid user name {name}, {rule}: invalid parameter', 1100, 5, 400),
  INVALID_PASSWORD: spec('invalid password: the length of a password must be in [{min}, {max}] bytes, got {length}: invalid parameter', 1100, 5, 400),
  USER_ALREADY_EXISTS: spec('user already exists: {name}', 65535, 29, 409),
  USER_NOT_FOUND: spec('user not found[user={name}]', 65535, 32, 404),
  OLD_PASSWORD_WRONG: spec('old password not correct for {name}: not authenticated', 1400, 30, 401),
  ROOT_NOT_DELETABLE: spec('root user cannot be deleted: privilege not permitted', 1401, 31, 403),
  AUTH_MISSING: callSpec('missing authorization in header; user hasn\'t authenticated', 1800, 3, 401, 16),
  AUTH_FAILED: callSpec('auth check failure, please check username and password are correct; user hasn\'t authenticated', 1800, 3, 401, 16),
  AUTH_RATE_LIMITED: callSpec('too many failed authentications from {address}: at most {max} in {windowSeconds} s; retry after {retryAfterSeconds} s', 8, 3, 429, 8, true),
  // Roles, grants and privilege groups (catalog/rbac.ts, engine/rbac.ts, api/privileges.ts).
  // A call refused for want of a privilege gets Milvus's privilege interceptor answer: a
  // gRPC PERMISSION_DENIED status (7) with its text; REST v2: HTTP 403 with code 1401.
  PERMISSION_DENIED: callSpec('{privilege}: permission deny to {user} in the `{db}` database', 1401, 3, 403, 7),
  INVALID_ROLE_NAME: spec('invalid role name {name}, {rule}: invalid parameter', 1100, 5, 400),
  INVALID_PRIVILEGE_GROUP_NAME: spec('invalid privilege group name {name}, {rule}: invalid parameter', 1100, 5, 400),
  ROLE_ALREADY_EXISTS: spec('role [name:"{name}"] already exists', 65535, 35, 409),
  ROLE_NOT_FOUND: spec('not found the role, maybe the role isn\'t existed or internal system error[role={name}]', 65535, 38, 404),
  ROLE_NOT_DROPPABLE: spec('the role[{name}] is a default role, which can\'t be dropped: invalid parameter', 1100, 36, 400),
  ROLE_HAS_GRANTS: spec('fail to drop the role that it has privileges. Use REVOKE API to revoke privileges[role={name}]', 65535, 36, 409),
  INVALID_PRIVILEGE: spec('{detail}: invalid parameter', 1100, 41, 400),
  PRIVILEGE_GROUP_ALREADY_EXISTS: spec('privilege group [{name}] already exists', 65535, 58, 409),
  PRIVILEGE_GROUP_NOT_FOUND: spec('privilege group [{name}] does not exist', 65535, 61, 404),
  PRIVILEGE_GROUP_IN_USE: spec('privilege group [{name}] is used by role [{role}], Use REVOKE API to revoke it first', 65535, 59, 409),
  // The embedded log (wal/). 1300 and 1302 are Milvus's ErrMqTopicNotFound and ErrMqInternal.
  TOPIC_NOT_FOUND: spec('log topic "{topic}" does not exist', 1300, 1, 404),
  CONSUMER_GROUP_NOT_FOUND: spec('consumer group "{group}" does not exist on log topic "{topic}"', 1302, 1, 404),
  CONSUMER_GROUP_ALREADY_EXISTS: spec('consumer group "{group}" already exists on log topic "{topic}"', 1302, 1, 409),
  OFFSET_TRUNCATED: spec('offset {offset} of log topic "{topic}" was removed by retention; the earliest stored offset is {start}', 1302, 1, 410),
  // The storage interfaces (storage/meta.ts, object.ts): what an implementation reports
  // the same way whichever service stands behind it.
  COMPACTED: spec('revision {revision} of the metadata store is no longer kept (the oldest kept is {oldest}); read the current state and watch from its revision', 1, 1, 410),
  LEASE_NOT_FOUND: spec('lease {lease} does not exist (it expired or was revoked)', 1, 1, 404),
  OBJECT_NOT_FOUND: spec('object "{key}" does not exist', 1, 1, 404),
  // The engine itself.
  STORAGE_IO: spec('storage I/O failed on {path}: {detail}', 1, 1, 500, true),
  STORAGE_FULL: spec('no space left on the data volume ({path}: {detail}); writes resume by themselves once space is freed', 7, 54, 507, true),
  CORRUPT_DATA: spec('corrupt data in {path} at offset {offset}: {detail}', 1, 15, 500),
  DATA_DIR_LOCKED: spec('data folder {path} is in use by process {pid}; stop it first or choose another folder', 1, 1, 409),
  NOT_A_DATA_DIR: spec('{path} is not an Elanus data folder: {detail}', 1, 1, 404),
  BACKUP_NOT_FOUND: spec('backup snapshot {id} does not exist on this server (released, or removed after it went unused)', 1, 1, 404),
  READ_ONLY: spec('{what} at {path} was opened read-only; nothing may be written to it', 1, 1, 409),
  CLOSED: spec('the engine is closed', 1, 56, 503),
  NOT_COORDINATOR: spec('this node no longer holds the coordinator lease ({detail}); retry: the request goes to the node that does', 2, 56, 503, true),
  REPLICA_BEHIND: spec('the read replica on node {node} cannot answer now ({detail}); the coordinator answers instead', 2, 56, 503, true),
  STORE_UNAVAILABLE: spec('the {store} at {endpoint} cannot be reached: {detail}', 2, 56, 503, true),
  TIMEOUT: spec('{what} timed out after {ms} ms', 1, 1, 504, true),
  NOT_SUPPORTED: spec('{what} is not supported yet', 1100, 1, 501),
  INTERNAL: spec('internal error: {detail}', 1, 1, 500),
} as const satisfies Record<string, ErrorSpec>);

export type ErrorCode = keyof typeof errorRegistry;
