export * from './types.js';
export * from './limits.js';
export { normalizeSchema, normalizeAddedField, scalarProblem, int64Of, dynamicFieldName, mmapParam, type FieldInput } from './schema.js';
export { validateName, reservedFieldNames, type NameKind } from './names.js';
export { Catalog, keys as catalogKeys, defaultDatabase, defaultPartition, deepFreeze } from './catalog.js';
export { checkCollectionTtl, collectionTtlKey, collectionTtlSeconds, collectionTtlSecondsMax } from './ttl.js';
export { IdAllocator } from './id-allocator.js';
export {
  normalizeIndex, normalizeIndexProperty, requireIndexProperty, sameIndexSpec, indexesOf, allowedIndexTypes, defaultMetric,
  effectiveIndexType, indexPropertyRules, jsonCastTypes, jsonIndexTarget, jsonPointer, type IndexInput, type IndexSpec, type JsonIndexTarget,
} from './indexes.js';
export { f32ToBf16, bf16ToF32, f32ToF16, f16ToF32 } from './half-float.js';
export { parseWkt, geometryOf, geometryWktLengthMax, type Geometry, type ParsedGeometry } from './geometry.js';
export { MetaCache, type EngineMetaStore } from './meta-cache.js';
export {
  defaultResourceGroup, defaultResourceGroupCapacity, resourceGroupsMax, localNodeId, emptyResourceGroupConfig, validateResourceGroupName,
  normalizeResourceGroupConfig, sameResourceGroupConfig, resourceGroupConfigToWire, resourceGroupCapacity, recoverNodes, assignReplicas,
  checkNodesFor, type ResourceGroupConfig, type ResourceGroupMeta, type ResourceGroupConfigInput,
} from './resource-groups.js';
export {
  credentialKeys, credentialLimits, hashPassword, rootPasswordDefault, rootUser, scryptCost, validatePassword, validateUserName, verifyPassword,
  type CredentialMeta,
} from './credentials.js';
export {
  adminRole, anyName, builtinGroups, builtinRoles, grantsAllow, objectTypeOf, objectTypes, privilegeLevelOf, privilegeNames, publicRole, rbacKeys,
  rbacLimits, validateRoleName, type GrantMeta, type Need, type ObjectType, type Privilege, type PrivilegeChange, type PrivilegeChangeV2, type PrivilegeGroupMeta, type PrivilegeLevel, type RbacBackup,
  type RoleMeta, type UserRoleMeta,
} from './rbac.js';
export {
  timezoneKey, defaultTimezone, isTimezoneValid, parseTimestamptz, formatTimestamptz, parseInterval, addInterval, type Interval,
} from './timestamptz.js';
